package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** A UDP server spread over every event loop: one socket per loop on one port, peers steered by the kernel, caps server-wide. */
class CoapReusePortTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<RawCoapPeer> peers = new ArrayList<>();
    private LiveCoapServer server;

    @AfterEach
    void stop() {
        peers.forEach(RawCoapPeer::close);
        if (server != null) {
            server.dispose();
        }
    }

    @Test
    void everyLoopGetsASocketOnThePortAndPeersAreSpreadOverThemWithOneSessionEach() throws IOException {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "SO_REUSEPORT spreading needs Netty's native epoll transport");
        server = CoapServer.create().port(0).reusePort(true)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))).bind().block(WAIT);
        assertThat(server.sockets()).isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
        InetSocketAddress to = server.localAddress();
        for (int i = 0; i < 100; i++) {
            RawCoapPeer peer = new RawCoapPeer();
            peers.add(peer);
            CoapMessage answer = peer.exchange(get(i + 1), to);
            assertThat(answer.code()).isEqualTo(CoapCode.CONTENT);
            // A retransmission (same message ID) from the same peer reaches the same socket, whose table answers it.
            assertThat(peer.exchange(get(i + 1), to).messageId()).isEqualTo(i + 1);
        }
        assertThat(server.duplicateRequests()).isEqualTo(100);
        List<Integer> perSocket = server.sessionsPerSocket();
        assertThat(perSocket.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
        assertThat(perSocket).as("sessions per socket").allSatisfy(n -> assertThat(n).isPositive());
        assertThat(server.sessions()).hasSize(100);
    }

    @Test
    void theSessionCapHoldsOverEverySocket() throws IOException {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "SO_REUSEPORT spreading needs Netty's native epoll transport");
        server = CoapServer.create().port(0).reusePort(true).maxSessions(10).maxIdleSessions(10)
                .route(r -> r.get("/hello", req -> {
                    req.session().retain(); // in use: nothing can be evicted to make room
                    return Mono.just(CoapResponse.content("hi"));
                })).bind().block(WAIT);
        int answered = 0;
        int refused = 0;
        for (int i = 0; i < 30; i++) {
            RawCoapPeer peer = new RawCoapPeer();
            peers.add(peer);
            CoapCode code = peer.exchange(get(i + 1), server.localAddress()).code();
            if (code.equals(CoapCode.SERVICE_UNAVAILABLE)) {
                refused++;
            } else {
                answered++;
            }
        }
        assertThat(answered).isEqualTo(10);
        assertThat(refused).isEqualTo(20);
        assertThat(server.sessions()).hasSize(10);
    }

    private static CoapMessage get(int mid) {
        return CoapMessage.of(CoapType.CON, CoapCode.GET, mid).withToken(new byte[] {(byte) mid})
                .withOptions(CoapOptions.builder().uriPath("/hello").build());
    }
}
