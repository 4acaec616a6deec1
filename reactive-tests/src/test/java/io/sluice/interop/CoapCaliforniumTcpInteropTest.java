package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.TcpConfig;
import org.eclipse.californium.elements.tcp.netty.TcpClientConnector;
import org.eclipse.californium.elements.tcp.netty.TcpServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Sluice's CoAP over TCP against Eclipse Californium 3.14.0's TCP connector
 * ({@code element-connector-tcp-netty}), both ways: GET, PUT and GET of 100 KB block-wise, observe.
 * Californium's connector is built on Netty 4.1; it runs here on the Netty 4.2 that Sluice uses,
 * which keeps the 4.1 API it calls. It predates CSM and Ping/Pong (RFC 8323 §5), so both Sluice
 * sides run with {@code acceptMissingCsm(true)} and no Ping is sent.
 */
class CoapCaliforniumTcpInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
    private LiveCoapServer sluice;

    @BeforeAll
    static void registerModules() {
        CoapConfig.register();
        TcpConfig.register();
    }

    static Configuration configuration() {
        Configuration config = new Configuration();
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 4 * 1024 * 1024);
        config.set(CoapConfig.MAX_MESSAGE_SIZE, 1024);
        config.set(CoapConfig.PREFERRED_BLOCK_SIZE, 1024);
        return config;
    }

    /** @return the scheme both sides speak */
    String scheme() {
        return "coap+tcp";
    }

    /** @return the Sluice server this transport serves on */
    CoapServer sluiceServer() throws Exception {
        return CoapServer.create().port(0).tcp();
    }

    /** @return the Sluice client this transport connects with */
    CoapClient sluiceClient() throws Exception {
        return CoapClient.create();
    }

    org.eclipse.californium.elements.Connector californiumClientConnector(Configuration config) throws Exception {
        return new TcpClientConnector(config);
    }

    org.eclipse.californium.elements.Connector californiumServerConnector(Configuration config) throws Exception {
        return new TcpServerConnector(LOOPBACK, config);
    }

    @BeforeEach
    void startSluice() throws Exception {
        // Californium's TCP connector predates CSM (its issue #2092): it neither sends one nor answers Ping.
        sluice = sluiceServer().acceptMissingCsm(true).route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice over tcp")))
                        .put("/data/**", req -> {
                            store.put(req.remainder(), req.request().body());
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .get("/data/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapResponse::content)
                                .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                        .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(100))
                                .map(i -> CoapResponse.content("tick " + i))))
                .bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        sluice.dispose();
    }

    @Test
    void californiumClientAgainstSluiceOverTcp() throws Exception {
        Configuration config = configuration();
        CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config).setConnector(californiumClientConnector(config)).build();
        org.eclipse.californium.core.CoapClient client = new org.eclipse.californium.core.CoapClient();
        client.setEndpoint(endpoint);
        client.setTimeout(TIMEOUT.toMillis());
        String base = scheme() + "://127.0.0.1:" + sluice.localAddress().getPort();
        try {
            client.setURI(base + "/hello");
            org.eclipse.californium.core.CoapResponse hello = client.get();
            assertThat(hello).as("a response to GET /hello").isNotNull();
            assertThat(hello.getResponseText()).isEqualTo("hello from sluice over tcp");

            byte[] body = new byte[100 * 1024];
            new Random(1).nextBytes(body);
            client.setURI(base + "/data/cf");
            assertThat(client.put(body, 0).getCode()).isEqualTo(CoAP.ResponseCode.CHANGED);
            assertThat(store.get("cf")).isEqualTo(body);
            assertThat(client.get().getPayload()).isEqualTo(body);

            BlockingQueue<String> notes = new LinkedTransferQueue<>();
            client.setURI(base + "/ticks");
            CoapObserveRelation relation = client.observe(new CoapHandler() {
                @Override
                public void onLoad(org.eclipse.californium.core.CoapResponse response) {
                    notes.add(response.getResponseText());
                }

                @Override
                public void onError() {
                    notes.add("error");
                }
            });
            for (int i = 0; i < 5; i++) {
                assertThat(notes.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).startsWith("tick ");
            }
            relation.proactiveCancel();
            assertThat(sluice.sessions()).allSatisfy(s -> assertThat(s.protocol().scheme()).isEqualTo(scheme()));
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
    }

    @Test
    void sluiceClientAgainstCaliforniumOverTcp() throws Exception {
        Configuration config = configuration();
        org.eclipse.californium.core.CoapServer server = new org.eclipse.californium.core.CoapServer(config);
        server.addEndpoint(new CoapEndpoint.Builder().setConfiguration(config).setConnector(californiumServerConnector(config)).build());
        ConcurrentHashMap<String, byte[]> cfStore = new ConcurrentHashMap<>();
        CoapResource ticks = new CoapResource("ticks") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond("cf tick");
            }
        };
        ticks.setObservable(true);
        server.add(new CoapResource("hello") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond("hello from californium over tcp");
            }
        }, new CoapResource("data") {
            @Override
            public void handlePUT(CoapExchange exchange) {
                cfStore.put("data", exchange.getRequestPayload());
                exchange.respond(CoAP.ResponseCode.CHANGED);
            }

            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(CoAP.ResponseCode.CONTENT, cfStore.getOrDefault("data", new byte[0]));
            }
        }, ticks);
        server.start();
        int port = server.getEndpoints().get(0).getAddress().getPort();
        CoapSession session = sluiceClient().acceptMissingCsm(true).connect(scheme() + "://127.0.0.1:" + port).block(TIMEOUT);
        try {
            StepVerifier.create(session.request(CoapRequest.get("/hello")))
                    .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello from californium over tcp")).verifyComplete();
            byte[] body = new byte[100 * 1024];
            new Random(2).nextBytes(body);
            StepVerifier.create(session.request(CoapRequest.put("/data", body)))
                    .assertNext(r -> assertThat(r.code()).isEqualTo(CoapCode.CHANGED)).verifyComplete();
            assertThat(cfStore.get("data")).isEqualTo(body);
            StepVerifier.create(session.request(CoapRequest.get("/data")))
                    .assertNext(r -> assertThat(r.body()).isEqualTo(body)).verifyComplete();
            StepVerifier.create(session.observe(CoapRequest.get("/ticks")).take(3))
                    .expectNextCount(1)
                    .then(ticks::changed)
                    .expectNextCount(1)
                    .then(ticks::changed)
                    .expectNextCount(1)
                    .expectComplete().verify(TIMEOUT);
        } finally {
            session.release();
            server.destroy();
        }
    }
}
