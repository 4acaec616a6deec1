package io.sluice.samples.demo;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The CoAP part of the demo: a server with an observable resource over {@code coaps://} with a
 * pre-shared key, a client that observes it, a block-wise GET, and the session states along the
 * way on both sides; then the same resources over {@code coap+tcp://} (RFC 8323).
 */
final class CoapDemo {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "demo-secret".getBytes(StandardCharsets.UTF_8);

    private CoapDemo() {
    }

    static void run() {
        Flux<CoapResponse> temperatures = Flux.interval(Duration.ofMillis(200))
                .map(i -> CoapResponse.content(String.format(Locale.ROOT, "%.1f C", 20.0 + i * 0.3)));
        byte[] manual = "Sluice CoAP manual. ".repeat(300).getBytes(StandardCharsets.UTF_8);
        LiveCoapServer server = CoapServer.create().port(0)
                .dtls(DtlsServer.psk("sluice-demo", id -> "sensor-reader".equals(new String(id, StandardCharsets.UTF_8)) ? KEY : null))
                .idleTimeout(Duration.ofMinutes(5))
                .route(r -> r.observable("/sensors/temp", req -> temperatures)
                        .get("/manual", req -> Mono.just(CoapResponse.content(manual).contentFormat(0))))
                .bind().block(TIMEOUT);
        String uri = "coaps://127.0.0.1:" + server.localAddress().getPort();
        System.out.println("  CoAP server on " + uri + " (DTLS PSK, identity hint \"sluice-demo\")");

        Disposable[] watch = new Disposable[1];
        CoapSession session = CoapClient.create()
                .dtls(DtlsClient.psk("sensor-reader", KEY))
                .doOnSession(s -> watch[0] = s.states().subscribe(state ->
                        System.out.println("  [client session] " + s.type() + " " + state)))
                .connect(uri).block(TIMEOUT);
        System.out.println("  client session: " + session.protocol() + " " + session.type() + ", cipher suite "
                + session.tls().orElseThrow().cipherSuite() + ", PSK hint \""
                + new String(session.pskHint().orElse(new byte[0]), StandardCharsets.UTF_8) + "\", refCount " + session.refCount());

        System.out.println("  observing /sensors/temp:");
        session.observe(CoapRequest.get("/sensors/temp"))
                .take(4)
                .doOnNext(n -> System.out.println("    notification " + n.observe() + ": " + n.bodyText()))
                .blockLast(TIMEOUT);
        System.out.println("  (cancelling the flux deregistered the observation with Observe: 1)");

        CoapResponse big = session.request(CoapRequest.get("/manual")).block(TIMEOUT);
        System.out.println("  GET /manual: " + big.code() + ", " + big.bodyLength() + " bytes reassembled from "
                + (big.bodyLength() + 1023) / 1024 + " blocks of 1024 (Size2 " + big.options().size2() + ")");

        CoapSession serverSide = server.sessions().get(0);
        System.out.println("  server session: " + serverSide.type() + " " + serverSide.state() + " from " + serverSide.remoteAddress()
                + ", PSK identity " + new String(serverSide.tls().orElseThrow().pskIdentity().orElseThrow(), StandardCharsets.UTF_8)
                + ", refCount " + serverSide.refCount() + " (idle pool: " + server.idleSessions() + ", freed after "
                + server.idleTimeout().toMinutes() + " min without traffic)");

        session.release();
        session.onClose().block(TIMEOUT);
        watch[0].dispose();
        server.dispose();
        System.out.println("  released the client session (its last reference) and stopped the server");
        overTcp(temperatures, manual);
    }

    /** The same resources over {@code coap+tcp://} (RFC 8323): CSMs, a Ping, an observation, a Release. */
    private static void overTcp(Flux<CoapResponse> temperatures, byte[] manual) {
        LiveCoapServer server = CoapServer.create().port(0).tcp()
                .route(r -> r.observable("/sensors/temp", req -> temperatures)
                        .get("/manual", req -> Mono.just(CoapResponse.content(manual).contentFormat(0))))
                .bind().block(TIMEOUT);
        String uri = "coap+tcp://127.0.0.1:" + server.localAddress().getPort();
        System.out.println("  CoAP over TCP on " + uri);
        Disposable[] watch = new Disposable[1];
        CoapSession session = CoapClient.create()
                .doOnSession(s -> watch[0] = s.states().subscribe(state -> System.out.println("  [tcp client session] " + state)))
                .connect(uri).block(TIMEOUT);
        System.out.println("  the server's CSM: Max-Message-Size " + session.peerCsm().orElseThrow().maxMessageSize()
                + ", Block-Wise-Transfer " + session.peerCsm().orElseThrow().blockWiseTransfer());
        System.out.println("  Ping -> Pong in " + session.ping().block(TIMEOUT).toNanos() / 1000 + " µs");
        session.observe(CoapRequest.get("/sensors/temp"))
                .take(3)
                .doOnNext(n -> System.out.println("    notification over tcp: " + n.bodyText()))
                .blockLast(TIMEOUT);
        CoapResponse big = session.request(CoapRequest.get("/manual")).block(TIMEOUT);
        System.out.println("  GET /manual over tcp: " + big.code() + ", " + big.bodyLength() + " bytes");
        CoapSession serverSide = server.sessions().get(0);
        session.release();
        serverSide.onClose().block(TIMEOUT);
        System.out.println("  released: the client sent 7.04 Release, the server session is " + serverSide.state());
        watch[0].dispose();
        server.dispose();
    }
}
