package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Sluice's CoAP against Eclipse Californium, both ways, CON and NON, block-wise and observe, over UDP and DTLS with PSK. */
class CoapCaliforniumInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "sluice-californium".getBytes(StandardCharsets.UTF_8);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();

    @BeforeAll
    static void registerModules() {
        CoapConfig.register();
        UdpConfig.register();
        DtlsConfig.register();
    }

    static Configuration configuration() {
        Configuration config = new Configuration();
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 4 * 1024 * 1024);
        config.set(CoapConfig.MAX_MESSAGE_SIZE, 1024);
        config.set(CoapConfig.PREFERRED_BLOCK_SIZE, 1024);
        return config;
    }

    static CoapEndpoint udpEndpoint(Configuration config) {
        return new CoapEndpoint.Builder().setConfiguration(config).setInetSocketAddress(LOOPBACK).build();
    }

    static CoapEndpoint dtlsEndpoint(Configuration config, String identity, boolean server) {
        DtlsConnectorConfig.Builder dtls = DtlsConnectorConfig.builder(config).setAddress(LOOPBACK)
                .set(DtlsConfig.DTLS_ROLE, server ? DtlsConfig.DtlsRole.SERVER_ONLY : DtlsConfig.DtlsRole.CLIENT_ONLY)
                .setAdvancedPskStore(new AdvancedSinglePskStore(identity, KEY));
        return new CoapEndpoint.Builder().setConfiguration(config).setConnector(new DTLSConnector(dtls.build())).build();
    }

    // --------------------------------------------------------------- Californium server, Sluice client

    /** A Californium server with a storage resource and an observable counter. */
    static final class CaliforniumServer implements AutoCloseable {
        final org.eclipse.californium.core.CoapServer server;
        final CoapEndpoint endpoint;
        final AtomicInteger counter = new AtomicInteger();
        final CoapResource observable;

        CaliforniumServer(CoapEndpoint endpoint) {
            this.endpoint = endpoint;
            this.server = new org.eclipse.californium.core.CoapServer(configuration());
            server.addEndpoint(endpoint);
            AtomicReference<byte[]> data = new AtomicReference<>("empty".getBytes(StandardCharsets.UTF_8));
            server.add(new CoapResource("hello") {
                @Override
                public void handleGET(CoapExchange exchange) {
                    exchange.respond(CoAP.ResponseCode.CONTENT, "hello from californium");
                }
            });
            server.add(new CoapResource("data") {
                @Override
                public void handleGET(CoapExchange exchange) {
                    exchange.respond(CoAP.ResponseCode.CONTENT, data.get());
                }

                @Override
                public void handlePUT(CoapExchange exchange) {
                    data.set(exchange.getRequestPayload());
                    exchange.respond(CoAP.ResponseCode.CHANGED);
                }
            });
            observable = new CoapResource("counter") {
                @Override
                public void handleGET(CoapExchange exchange) {
                    exchange.respond(CoAP.ResponseCode.CONTENT, "count " + counter.get());
                }
            };
            observable.setObservable(true);
            observable.setObserveType(CoAP.Type.CON);
            observable.getAttributes().setObservable();
            server.add(observable);
            server.start();
        }

        String uri(String scheme) {
            return scheme + "://127.0.0.1:" + endpoint.getAddress().getPort();
        }

        void change() {
            counter.incrementAndGet();
            observable.changed();
        }

        @Override
        public void close() {
            server.destroy();
        }
    }

    private static void exerciseCaliforniumServer(CaliforniumServer cf, CoapSession session) {
        // Sluice's link-format reader on Californium's /.well-known/core.
        StepVerifier.create(session.discover(""))
                .assertNext(links -> {
                    assertThat(links).extracting(io.sluice.codec.coap.CoreLink::target).contains("/hello", "/data", "/counter");
                    assertThat(links.stream().filter(l -> l.target().equals("/counter")).findFirst().orElseThrow().observable()).isTrue();
                })
                .expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.request(CoapRequest.get("/hello")))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello from californium")).expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.request(CoapRequest.get("/hello").nonConfirmable()))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("hello from californium")).expectComplete().verify(TIMEOUT);
        byte[] body = new byte[100 * 1024];
        new Random(3).nextBytes(body);
        StepVerifier.create(session.request(CoapRequest.put("/data", body)))
                .assertNext(r -> assertThat(r.code()).isEqualTo(CoapCode.CHANGED)).expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.request(CoapRequest.get("/data")))
                .assertNext(r -> assertThat(r.body()).isEqualTo(body)).expectComplete().verify(TIMEOUT);
        StepVerifier.create(session.observe(CoapRequest.get("/counter")))
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("count 0"))
                .then(cf::change)
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("count 1"))
                .then(cf::change)
                .assertNext(r -> assertThat(r.bodyText()).isEqualTo("count 2"))
                .thenCancel().verify(TIMEOUT);
        // The cancellation deregistered: Californium's resource loses its observer.
        StepVerifier.create(Flux.interval(Duration.ofMillis(20)).filter(i -> cf.observable.getObserverCount() == 0).next())
                .expectNextCount(1).expectComplete().verify(TIMEOUT);
    }

    @Test
    void sluiceClientToCaliforniumServerOverUdp() {
        try (CaliforniumServer cf = new CaliforniumServer(udpEndpoint(configuration()))) {
            CoapSession session = CoapClient.create().connect(cf.uri("coap")).block(TIMEOUT);
            try {
                exerciseCaliforniumServer(cf, session);
            } finally {
                session.release();
            }
        }
    }

    @Test
    void sluiceClientToCaliforniumServerOverDtls() {
        try (CaliforniumServer cf = new CaliforniumServer(dtlsEndpoint(configuration(), "sluice", true))) {
            CoapSession session = CoapClient.create().dtls(DtlsClient.psk("sluice", KEY)).connect(cf.uri("coaps")).block(TIMEOUT);
            try {
                assertThat(session.tls()).isPresent();
                exerciseCaliforniumServer(cf, session);
            } finally {
                session.release();
            }
        }
    }

    // --------------------------------------------------------------- Sluice server, Californium client

    private LiveCoapServer udp;
    private LiveCoapServer dtls;

    @BeforeEach
    void startSluice() {
        CoapServer spec = CoapServer.create().port(0).route(r -> r
                .get("/hello", req -> Mono.just(CoapResponse.content("hello from sluice")))
                .put("/data", req -> {
                    store.put("data", req.request().body());
                    return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                })
                .get("/data", req -> Mono.just(CoapResponse.content(store.getOrDefault("data", new byte[0]))))
                .observable("/ticks", req -> Flux.interval(Duration.ZERO, Duration.ofMillis(100)).map(i -> CoapResponse.content("tick " + i)))
                .describe("/ticks", io.sluice.coap.ResourceAttributes.create().resourceType("ticks").title("Ticks")));
        udp = spec.bind().block(TIMEOUT);
        dtls = spec.dtls(DtlsServer.psk(null, id -> "californium".equals(new String(id, StandardCharsets.UTF_8)) ? KEY : null))
                .port(0).bind().block(TIMEOUT);
    }

    @AfterEach
    void stopSluice() {
        udp.dispose();
        dtls.dispose();
    }

    private void exerciseSluiceServer(org.eclipse.californium.core.CoapClient client, String base) throws Exception {
        client.setTimeout(TIMEOUT.toMillis());
        // Californium's discovery reads Sluice's /.well-known/core, and its query filter reaches Sluice's.
        client.setURI(base);
        java.util.Set<org.eclipse.californium.core.WebLink> links = client.discover();
        assertThat(links).extracting(org.eclipse.californium.core.WebLink::getURI).contains("/hello", "/data", "/ticks");
        org.eclipse.californium.core.WebLink ticks = org.eclipse.californium.core.WebLink.findByUri(links, "/ticks");
        assertThat(ticks.getAttributes().getResourceTypes()).containsExactly("ticks");
        assertThat(ticks.getAttributes().getTitle()).isEqualTo("Ticks");
        assertThat(ticks.getAttributes().hasObservable()).isTrue();
        assertThat(client.discover("rt=tick*")).extracting(org.eclipse.californium.core.WebLink::getURI).containsExactly("/ticks");
        client.setURI(base + "/hello");
        assertThat(client.get().getResponseText()).isEqualTo("hello from sluice");
        client.useNONs();
        assertThat(client.get().getResponseText()).isEqualTo("hello from sluice");
        client.useCONs();
        byte[] body = new byte[100 * 1024];
        new Random(4).nextBytes(body);
        client.setURI(base + "/data");
        assertThat(client.put(body, 42).getCode()).isEqualTo(CoAP.ResponseCode.CHANGED);
        assertThat(store.get("data")).isEqualTo(body);
        assertThat(client.get().getPayload()).isEqualTo(body);
        client.setURI(base + "/ticks");
        BlockingQueue<String> notifications = new LinkedTransferQueue<>();
        CoapObserveRelation relation = client.observe(new CoapHandler() {
            @Override
            public void onLoad(org.eclipse.californium.core.CoapResponse response) {
                notifications.add(response.getResponseText());
            }

            @Override
            public void onError() {
                notifications.add("<error>");
            }
        });
        try {
            for (int i = 0; i < 6; i++) {
                String n = notifications.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(n).as("notification %d", i).startsWith("tick ");
            }
        } finally {
            relation.proactiveCancel();
        }
    }

    @Test
    void californiumClientToSluiceServerOverUdp() throws Exception {
        CoapEndpoint endpoint = udpEndpoint(configuration());
        org.eclipse.californium.core.CoapClient client = new org.eclipse.californium.core.CoapClient();
        client.setEndpoint(endpoint);
        try {
            exerciseSluiceServer(client, "coap://127.0.0.1:" + udp.localAddress().getPort());
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
    }

    @Test
    void californiumClientToSluiceServerOverDtls() throws Exception {
        CoapEndpoint endpoint = dtlsEndpoint(configuration(), "californium", false);
        org.eclipse.californium.core.CoapClient client = new org.eclipse.californium.core.CoapClient();
        client.setEndpoint(endpoint);
        try {
            exerciseSluiceServer(client, "coaps://127.0.0.1:" + dtls.localAddress().getPort());
            assertThat(dtls.sessions()).singleElement().satisfies(s -> assertThat(s.tls().orElseThrow().pskIdentity())
                    .hasValueSatisfying(id -> assertThat(new String(id, StandardCharsets.UTF_8)).isEqualTo("californium")));
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
    }
}
