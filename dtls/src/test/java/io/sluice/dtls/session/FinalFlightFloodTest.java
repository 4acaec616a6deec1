package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * A flood of ChangeCipherSpec records in epoch 0 from an established client's address (what a
 * client that lost the server's final flight sends, and what anyone who can spoof that address
 * can send) earns at most one resend of the final flight per 250 ms, never one per record, and
 * leaves the session working.
 */
class FinalFlightFloodTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);
    private static final int FLOOD = 3000;

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private LiveDtlsServer server;
    private UdpSocket socket;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
        if (socket != null) {
            socket.dispose();
        }
    }

    @Test
    void aFloodOfRepeatedChangeCipherSpecsIsAnsweredAtMostOncePerResendInterval() {
        server = DtlsServer.psk("sluice", id -> KEY).metrics(registry).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        java.util.concurrent.atomic.AtomicInteger echoed = new java.util.concurrent.atomic.AtomicInteger();
        server.sessions().subscribe(session -> session.send(session.receive()
                        .map(b -> DtlsPskTest.utf8(DtlsPskTest.text(b).toUpperCase())).doOnNext(b -> echoed.incrementAndGet()))
                .subscribe(null, e -> { }));
        socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsSession client = DtlsClient.psk("client-1", KEY).connect(socket, server.localAddress()).block(TIMEOUT);
        double before = sentByServer();

        long start = System.nanoTime();
        byte[] ccs = {20, (byte) 0xFE, (byte) 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1};
        for (int i = 0; i < FLOOD; i++) {
            socket.write(Unpooled.wrappedBuffer(ccs), server.localAddress());
        }
        // Records are not retransmitted and the kernel may drop datagrams of a flood: ask until answered.
        reactor.core.Disposable asking = client.send(Flux.interval(Duration.ZERO, Duration.ofMillis(100))
                .map(i -> DtlsPskTest.utf8("after the flood"))).subscribe(null, e -> { });
        StepVerifier.create(client.receive().map(DtlsPskTest::text).take(1))
                .expectNext("AFTER THE FLOOD").expectComplete().verify(TIMEOUT);
        asking.dispose();
        long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();

        double resent = sentByServer() - before - echoed.get();
        long intervals = elapsedMillis / 250 + 1;
        // A final flight is at most two datagrams (CCS + Finished, split only if the path is narrow).
        assertThat(resent).as("datagrams resent for %d spoofed records in %d ms", FLOOD, elapsedMillis)
                .isGreaterThanOrEqualTo(1).isLessThanOrEqualTo(2.0 * intervals).isLessThan(FLOOD / 10.0);
        client.close().block(TIMEOUT);
    }

    private double sentByServer() {
        return registry.get("sluice.dtls.datagrams.sent").tags("role", "server").functionCounter().count();
    }
}
