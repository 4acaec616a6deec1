package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What a UDP server keeps per peer: capped, least recently active idle sessions first, nothing for a NON. */
class CoapSessionCapsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<DatagramSocket> peers = new ArrayList<>();
    private final AtomicInteger handled = new AtomicInteger();
    private LiveCoapServer server;

    @AfterEach
    void stop() {
        peers.forEach(DatagramSocket::close);
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

    private DatagramSocket peer() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout((int) WAIT.toMillis());
        peers.add(s);
        return s;
    }

    @Test
    void aNewPeerPastMaxIdleSessionsTakesTheLeastRecentlyActivePlace() throws IOException {
        InetSocketAddress to = bind(CoapServer.create().maxIdleSessions(3));
        DatagramSocket[] p = {peer(), peer(), peer(), peer()};
        for (int i = 0; i < 3; i++) {
            assertThat(exchange(p[i], con(CoapCode.GET, "hello", i), to).code()).isEqualTo(CoapCode.CONTENT);
        }
        // The first peer speaks again, so the second is now the least recently active.
        assertThat(exchange(p[0], con(CoapCode.GET, "hello", 10), to).code()).isEqualTo(CoapCode.CONTENT);
        assertThat(exchange(p[3], con(CoapCode.GET, "hello", 3), to).code()).isEqualTo(CoapCode.CONTENT);

        assertThat(server.sessions()).extracting(CoapSession::remoteAddress)
                .containsExactlyInAnyOrder(address(p[0]), address(p[2]), address(p[3]));
        assertThat(server.evictedSessions()).isEqualTo(1);
        assertThat(server.idleSessions()).isEqualTo(3);
    }

    @Test
    void aFullServerAnswersANewPeersConWith503AndKeepsNothing() throws IOException {
        InetSocketAddress to = bind(CoapServer.create().maxSessions(1));
        DatagramSocket kept = peer();
        DatagramSocket late = peer();
        assertThat(exchange(kept, con(CoapCode.POST, "keep", 1), to).code()).isEqualTo(CoapCode.CHANGED);

        CoapMessage refused = exchange(late, con(CoapCode.GET, "hello", 2), to);
        assertThat(refused.type()).isEqualTo(CoapType.ACK);
        assertThat(refused.code()).isEqualTo(CoapCode.SERVICE_UNAVAILABLE);
        assertThat(refused.options().maxAge()).isEqualTo(CoapEndpoint.FULL_RETRY_AFTER_SECONDS);
        // The retransmission gets the same answer: nothing was remembered for it.
        assertThat(exchange(late, con(CoapCode.GET, "hello", 2), to).code()).isEqualTo(CoapCode.SERVICE_UNAVAILABLE);

        assertThat(server.sessions()).extracting(CoapSession::remoteAddress).containsExactly(address(kept));
        assertThat(server.refusedSessions()).isEqualTo(2);
        assertThat(handled).hasValue(0);
        // A NON request keeps nothing, so even a full server serves it.
        assertThat(exchange(late, non(CoapCode.GET, "hello", 3), to).code()).isEqualTo(CoapCode.CONTENT);
    }

    @Test
    void aNonRequestFromANewPeerLeavesNoSessionAndItsDuplicateIsDropped() throws IOException {
        InetSocketAddress to = bind(CoapServer.create());
        DatagramSocket p = peer();
        CoapMessage first = exchange(p, non(CoapCode.GET, "hello", 77), to);
        assertThat(first.type()).isEqualTo(CoapType.NON);
        assertThat(first.payloadText()).isEqualTo("hi");
        send(p, non(CoapCode.GET, "hello", 77), to); // the same message again
        assertThat(exchange(p, non(CoapCode.GET, "hello", 78), to).payloadText()).isEqualTo("hi");

        assertThat(handled).hasValue(2);
        assertThat(server.duplicateRequests()).isEqualTo(1);
        assertThat(server.sessions()).isEmpty();
        assertThat(server.idleSessions()).isZero();
    }

    @Test
    void aNonObservationFromANewPeerKeepsItsSessionForTheDeregistration() throws IOException {
        InetSocketAddress to = bind(CoapServer.create());
        DatagramSocket p = peer();
        CoapMessage register = non(CoapCode.GET, "temp", 5).withOptions(CoapOptions.builder().uriPath("temp").observe(0).build());
        CoapMessage notification = exchange(p, register, to);
        assertThat(notification.options().has(CoapOptions.OBSERVE)).isTrue();
        assertThat(server.sessions()).hasSize(1);
        SessionImpl observed = (SessionImpl) server.sessions().get(0);
        assertThat(observed.observerCount()).isEqualTo(1);

        CoapMessage deregister = non(CoapCode.GET, "temp", 6).withToken(register.token())
                .withOptions(CoapOptions.builder().uriPath("temp").observe(1).build());
        exchange(p, deregister, to);
        assertThat(server.sessions()).containsExactly(observed);
        assertThat(observed.observerCount()).isZero();
    }

    private static InetSocketAddress address(DatagramSocket s) {
        return (InetSocketAddress) s.getLocalSocketAddress();
    }

    private static CoapMessage con(CoapCode code, String path, int mid) {
        return CoapMessage.of(CoapType.CON, code, mid).withToken(new byte[] {(byte) mid, 1})
                .withOptions(CoapOptions.builder().uriPath(path).build());
    }

    private static CoapMessage non(CoapCode code, String path, int mid) {
        return con(code, path, mid).withType(CoapType.NON);
    }

    private static CoapMessage exchange(DatagramSocket socket, CoapMessage message, InetSocketAddress to) throws IOException {
        send(socket, message, to);
        DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
        socket.receive(p);
        ByteBuf in = Unpooled.wrappedBuffer(Arrays.copyOf(p.getData(), p.getLength()));
        try {
            return CoapMessageCodec.INSTANCE.decode(in, Limits.defaults());
        } finally {
            in.release();
        }
    }

    private static void send(DatagramSocket socket, CoapMessage message, InetSocketAddress to) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        CoapMessageCodec.INSTANCE.encode(message, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }
}
