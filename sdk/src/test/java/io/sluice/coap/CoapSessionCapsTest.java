package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What a UDP server keeps per peer: capped, least recently active idle sessions first, nothing for a NON. */
class CoapSessionCapsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<RawCoapPeer> peers = new ArrayList<>();
    private final AtomicInteger handled = new AtomicInteger();
    private LiveCoapServer server;

    @AfterEach
    void stop() {
        peers.forEach(RawCoapPeer::close);
        if (server != null) {
            server.dispose();
        }
    }

    private InetSocketAddress bind(CoapServer spec) {
        server = spec.port(0).route(r -> r
                        .get("/hello", req -> {
                            handled.incrementAndGet();
                            return Mono.just(CoapResponse.content("hi"));
                        })
                        .post("/keep", req -> {
                            req.session().retain();
                            return Mono.just(CoapResponse.of(CoapCode.CHANGED));
                        })
                        .observable("/temp", req -> Flux.just(CoapResponse.content("20")).concatWith(Flux.never())))
                .bind().block(WAIT);
        return server.localAddress();
    }

    private RawCoapPeer peer() throws IOException {
        RawCoapPeer p = new RawCoapPeer();
        peers.add(p);
        return p;
    }

    @Test
    void aNewPeerPastMaxIdleSessionsTakesTheLeastRecentlyActivePlace() throws IOException {
        InetSocketAddress to = bind(CoapServer.create().maxIdleSessions(3));
        RawCoapPeer[] p = {peer(), peer(), peer(), peer()};
        for (int i = 0; i < 3; i++) {
            assertThat(p[i].exchange(con(CoapCode.GET, "hello", i), to).code()).isEqualTo(CoapCode.CONTENT);
        }
        // The first peer speaks again, so the second is now the least recently active.
        assertThat(p[0].exchange(con(CoapCode.GET, "hello", 10), to).code()).isEqualTo(CoapCode.CONTENT);
        assertThat(p[3].exchange(con(CoapCode.GET, "hello", 3), to).code()).isEqualTo(CoapCode.CONTENT);

        assertThat(server.sessions()).extracting(CoapSession::remoteAddress)
                .containsExactlyInAnyOrder(address(p[0]), address(p[2]), address(p[3]));
        assertThat(server.evictedSessions()).isEqualTo(1);
        assertThat(server.idleSessions()).isEqualTo(3);
    }

    @Test
    void aFullServerAnswersANewPeersConWith503AndKeepsNothing() throws IOException {
        InetSocketAddress to = bind(CoapServer.create().maxSessions(1));
        RawCoapPeer kept = peer();
        RawCoapPeer late = peer();
        assertThat(kept.exchange(con(CoapCode.POST, "keep", 1), to).code()).isEqualTo(CoapCode.CHANGED);

        CoapMessage refused = late.exchange(con(CoapCode.GET, "hello", 2), to);
        assertThat(refused.type()).isEqualTo(CoapType.ACK);
        assertThat(refused.code()).isEqualTo(CoapCode.SERVICE_UNAVAILABLE);
        assertThat(refused.options().maxAge()).isEqualTo(CoapEndpoint.FULL_RETRY_AFTER_SECONDS);
        // The retransmission gets the same answer: nothing was remembered for it.
        assertThat(late.exchange(con(CoapCode.GET, "hello", 2), to).code()).isEqualTo(CoapCode.SERVICE_UNAVAILABLE);

        assertThat(server.sessions()).extracting(CoapSession::remoteAddress).containsExactly(address(kept));
        assertThat(server.refusedSessions()).isEqualTo(2);
        assertThat(handled).hasValue(0);
        // A NON request keeps nothing, so even a full server serves it.
        assertThat(late.exchange(non(CoapCode.GET, "hello", 3), to).code()).isEqualTo(CoapCode.CONTENT);
    }

    @Test
    void aNonRequestFromANewPeerLeavesNoSessionAndItsDuplicateIsDropped() throws IOException {
        InetSocketAddress to = bind(CoapServer.create());
        RawCoapPeer p = peer();
        CoapMessage first = p.exchange(non(CoapCode.GET, "hello", 77), to);
        assertThat(first.type()).isEqualTo(CoapType.NON);
        assertThat(first.payloadText()).isEqualTo("hi");
        p.send(non(CoapCode.GET, "hello", 77), to); // the same message again
        assertThat(p.exchange(non(CoapCode.GET, "hello", 78), to).payloadText()).isEqualTo("hi");

        assertThat(handled).hasValue(2);
        assertThat(server.duplicateRequests()).isEqualTo(1);
        assertThat(server.sessions()).isEmpty();
        assertThat(server.idleSessions()).isZero();
    }

    @Test
    void aNonObservationFromANewPeerKeepsItsSessionForTheDeregistration() throws IOException {
        InetSocketAddress to = bind(CoapServer.create());
        RawCoapPeer p = peer();
        CoapMessage register = non(CoapCode.GET, "temp", 5).withOptions(CoapOptions.builder().uriPath("temp").observe(0).build());
        CoapMessage notification = p.exchange(register, to);
        assertThat(notification.options().has(CoapOptions.OBSERVE)).isTrue();
        assertThat(server.sessions()).hasSize(1);
        SessionImpl observed = (SessionImpl) server.sessions().get(0);
        assertThat(observed.observerCount()).isEqualTo(1);

        CoapMessage deregister = non(CoapCode.GET, "temp", 6).withToken(register.token())
                .withOptions(CoapOptions.builder().uriPath("temp").observe(1).build());
        p.exchange(deregister, to);
        assertThat(server.sessions()).containsExactly(observed);
        assertThat(observed.observerCount()).isZero();
    }

    private static InetSocketAddress address(RawCoapPeer p) {
        return p.address();
    }

    private static CoapMessage con(CoapCode code, String path, int mid) {
        return CoapMessage.of(CoapType.CON, code, mid).withToken(new byte[] {(byte) mid, 1})
                .withOptions(CoapOptions.builder().uriPath(path).build());
    }

    private static CoapMessage non(CoapCode code, String path, int mid) {
        return con(code, path, mid).withType(CoapType.NON);
    }
}
