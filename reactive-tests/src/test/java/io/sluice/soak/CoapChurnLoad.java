package io.sluice.soak;

import io.sluice.codec.coap.CoapCode;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * CoAP peers churning against one server, over UDP or DTLS (PSK): {@code peers} client sessions,
 * each its own socket and so its own server session; every tick some of them ask
 * {@code GET /soak}, and some are released and replaced by new peers, whose first request makes a
 * new server session (a new handshake over DTLS) while the old one expires on the server's short
 * idle timeout. Every request is confirmable; an answer other than 2.05 or a failed request is an
 * error.
 */
final class CoapChurnLoad extends SoakLoad {

    private static final byte[] KEY = "soak-psk-key-0123".getBytes(StandardCharsets.UTF_8);
    private static final CoapRequest GET = CoapRequest.get("/soak");

    private final boolean dtls;
    private final int peers;
    private final int requestsPerTick;
    private final int replacedPerTick;
    private final Duration idleTimeout;
    private final AtomicReferenceArray<CoapSession> slots;
    private LiveCoapServer server;
    private CoapClient client;
    private String uri;

    /**
     * @param requestsPerSecond requests across all peers
     * @param replacedPerSecond peers released and replaced by new ones
     */
    CoapChurnLoad(boolean dtls, int peers, int requestsPerSecond, int replacedPerSecond, Duration idleTimeout) {
        super(dtls ? "CoAP DTLS" : "CoAP UDP");
        this.dtls = dtls;
        this.peers = peers;
        this.requestsPerTick = Math.max(1, requestsPerSecond / 10);
        this.replacedPerTick = Math.max(1, replacedPerSecond / 10);
        this.idleTimeout = idleTimeout;
        this.slots = new AtomicReferenceArray<>(peers);
    }

    @Override
    void start() {
        // Room for every peer and the replaced ones still waiting out the idle timeout, so that the
        // timeout, not the idle-session cap, is what frees them.
        CoapServer spec = CoapServer.create().host("127.0.0.1").port(0).idleTimeout(idleTimeout).maxSessions(peers * 2).maxIdleSessions(peers * 2)
                .route(r -> r.get("/soak", request -> Mono.just(CoapResponse.content("ok"))));
        CoapClient c = CoapClient.create();
        if (dtls) {
            spec = spec.dtls(DtlsServer.psk(null, identity -> KEY).maxSessions(peers * 2).maxHandshakes(256));
            c = c.dtls(DtlsClient.psk("soak", KEY));
        }
        server = spec.bind().block(TIMEOUT);
        client = c;
        uri = (dtls ? "coaps" : "coap") + "://127.0.0.1:" + server.localAddress().getPort();
        // Every peer connects and asks once, 64 at a time, before the ticks begin.
        Flux.range(0, peers).flatMap(i -> client.connect(uri).flatMap(s -> {
            slots.set(i, s);
            return s.request(GET).map(this::checked);
        }), 64).then().block(Duration.ofMinutes(10));
    }

    private CoapResponse checked(CoapResponse response) {
        if (!response.code().equals(CoapCode.CONTENT)) {
            throw new IllegalStateException("GET /soak answered " + response.code());
        }
        return response;
    }

    @Override
    void slice(long n) {
        for (int k = 0; k < replacedPerTick; k++) {
            int i = (int) ((n * replacedPerTick + k) % peers);
            CoapSession old = slots.getAndSet(i, null);
            if (old != null) {
                old.release();
            }
            track(client.connect(uri).flatMap(s -> {
                slots.set(i, s);
                return s.request(GET).map(this::checked);
            }));
        }
        for (int k = 0; k < requestsPerTick; k++) {
            // A stride through the slots that does not line up with the replacements.
            int i = (int) (((n * requestsPerTick + k) * 7919L) % peers);
            CoapSession s = slots.get(i);
            if (s != null) {
                // A request still out when a later tick replaced its peer fails with the release: that one we caused.
                track(s.request(GET).map(this::checked).onErrorResume(e -> slots.get(i) != s ? Mono.empty() : Mono.error(e)));
            }
        }
    }

    @Override
    int live() {
        return server.sessions().size();
    }

    @Override
    java.util.Map<String, Long> counters() {
        java.util.Map<String, Long> c = new java.util.LinkedHashMap<>();
        c.put("expired", server.expiredSessions());
        c.put("evicted", server.evictedSessions());
        c.put("refused", server.refusedSessions());
        return c;
    }

    @Override
    void stop() {
        for (int i = 0; i < peers; i++) {
            CoapSession s = slots.getAndSet(i, null);
            if (s != null) {
                s.release();
            }
        }
        server.dispose();
    }
}
