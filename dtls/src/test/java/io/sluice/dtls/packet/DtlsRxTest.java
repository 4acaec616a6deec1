package io.sluice.dtls.packet;

import static io.sluice.dtls.packet.Loopback.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class DtlsRxTest {

    private Loopback peer;
    private UdpSocket socket;

    @BeforeEach
    void open() throws Exception {
        peer = new Loopback();
        socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), 100).block(TIMEOUT);
    }

    @AfterEach
    void close() throws Exception {
        socket.dispose();
        socket.onDispose().block(TIMEOUT);
        peer.close();
    }

    private static String text(DatagramPacket p) {
        try {
            return ByteBufUtil.hexDump(p.content());
        } finally {
            p.release();
        }
    }

    @Test
    void packetsFlowOnDemandAndStopCompletesAfterTheBufferedOnes() throws Exception {
        DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
        for (int i = 1; i <= 5; i++) {
            peer.send(socket.localAddress(), (byte) 22, (byte) i);
        }
        StepVerifier.create(rx.packets().map(DtlsRxTest::text), 0)
                .thenRequest(2)
                .expectNext("1601", "1602")
                .then(() -> Loopback.awaitCount(rx::received, 5))
                .then(() -> rx.stop().block(TIMEOUT))
                .then(() -> assertThat(rx.status()).isEqualTo(DtlsRx.Status.STOPPED))
                .thenRequest(10)
                .expectNext("1603", "1604", "1605")
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(rx.overruns()).isZero();
    }

    @Test
    void aFullBufferLosesPacketsCountedAndReportedAsOverruns() throws Exception {
        DtlsRx rx = DtlsRx.spec().bufferPackets(4).on(socket).block(TIMEOUT);
        List<PacketEvent> overruns = new ArrayList<>();
        StepVerifier.create(rx.events().filter(e -> e.kind() == PacketEvent.Kind.OVERRUN).take(6))
                .then(() -> {
                    for (int i = 0; i < 10; i++) {
                        try {
                            peer.send(socket.localAddress(), (byte) 23, (byte) i);
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                })
                .recordWith(() -> overruns)
                .expectNextCount(6)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(overruns).extracting(PacketEvent::total).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(overruns.get(0).peer()).isEqualTo(peer.address());
        assertThat(rx.overruns()).isEqualTo(6);
        assertThat(rx.received()).isEqualTo(10);
        assertThat(rx.buffered()).isEqualTo(4);
        rx.stop().block(TIMEOUT);
        StepVerifier.create(rx.packets().map(DtlsRxTest::text))
                .expectNext("1700", "1701", "1702", "1703")
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void aDatagramOverTheLimitIsReportedNotTruncated() throws Exception {
        DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
        StepVerifier.create(rx.events().filter(e -> e.kind() == PacketEvent.Kind.OVERSIZED).next())
                .then(() -> {
                    try {
                        peer.sendSized(socket.localAddress(), 101, (byte) 22);
                        peer.sendSized(socket.localAddress(), 100, (byte) 23);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .assertNext(e -> assertThat(e.detail()).contains("100-byte receive limit"))
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(rx.packets().take(1).map(p -> {
                    int n = p.content().readableBytes();
                    p.release();
                    return n;
                }))
                .expectNext(100)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(rx.oversized()).isEqualTo(1);
        assertThat(socket.oversized()).isEqualTo(1);
    }

    @Test
    void packetsGoToOneSubscriberAndASocketFeedsOneRx() {
        DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
        rx.packets().subscribe(DatagramPacket::release);
        StepVerifier.create(rx.packets())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(PacketEndpointException.class)
                        .hasMessageContaining("has a subscriber already"))
                .verify(TIMEOUT);
        StepVerifier.create(DtlsRx.spec().on(socket))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("already delivers to another receiver"))
                .verify(TIMEOUT);
        rx.dispose();
    }

    @Test
    void disposeReleasesWhatIsBufferedAndCompletesTheSubscriber() throws Exception {
        DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
        for (int i = 0; i < 3; i++) {
            peer.send(socket.localAddress(), (byte) 22, (byte) i);
        }
        Loopback.awaitCount(rx::received, 3);
        StepVerifier.create(rx.packets(), 0)
                .then(rx::dispose)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(rx.buffered()).isZero();
        assertThat(rx.isDisposed()).isTrue();
        // The leak detector (LeakTracking) fails this test if a buffered packet was not released.
    }

    @Test
    void closingTheSocketStopsTheRx() {
        DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
        StepVerifier events = StepVerifier.create(rx.events().map(PacketEvent::kind))
                .expectNext(PacketEvent.Kind.STOPPED).expectComplete().verifyLater();
        StepVerifier.create(rx.packets())
                .then(socket::dispose)
                .expectComplete()
                .verify(TIMEOUT);
        events.verify(TIMEOUT);
    }

    @Test
    void readsAreSizedForSixteenDatagramsAtTheDefaultLimitAndOneNearTheLargest() {
        assertThat(UdpSocket.datagramsPerRead(UdpSocket.DEFAULT_MAX_DATAGRAM_BYTES)).isEqualTo(16);
        assertThat(UdpSocket.datagramsPerRead(UdpSocket.MAX_DATAGRAM_BYTES)).isEqualTo(1);
    }
}
