package io.sluice.dtls.packet;

import static io.sluice.dtls.packet.Loopback.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class DtlsTxTest {

    private static ByteBuf packet(int index, int size) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(size);
        b.writeByte(23).writeInt(index);
        b.writeZero(size - 5);
        return b;
    }

    @Test
    void demandIsTheCapacitySignal() {
        UdpSocket receiving = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().bufferPackets(1024).on(receiving).block(TIMEOUT);
        DtlsTx tx = DtlsTx.to(receiving.localAddress()).from(new InetSocketAddress("127.0.0.1", 0))
                .capacityBytes(4096).notifyAt(1024).start().block(TIMEOUT);
        List<Long> requests = new CopyOnWriteArrayList<>();
        AtomicInteger emitted = new AtomicInteger();
        Flux<ByteBuf> source = Flux.range(0, 300)
                .doOnRequest(requests::add)
                .map(i -> {
                    // Never more packets out than the capacity holds at 1024 bytes each.
                    assertThat(emitted.incrementAndGet() - tx.sent()).isLessThanOrEqualTo(4);
                    return packet(i, 1000);
                });
        StepVerifier.create(tx.send(source)).expectComplete().verify(TIMEOUT);
        assertThat(requests).allSatisfy(n -> assertThat(n).isBetween(1L, 4L));
        assertThat(requests.get(0)).isEqualTo(4L);
        assertThat(tx.sent()).isEqualTo(300);
        assertThat(tx.sentBytes()).isEqualTo(300_000);
        // Loopback UDP may still drop a burst in the kernel, so delivery is checked, not counted.
        StepVerifier.create(rx.packets().next().map(p -> {
                    int size = p.content().readableBytes();
                    p.release();
                    return size;
                }))
                .expectNext(1000)
                .expectComplete().verify(TIMEOUT);
        assertThat(tx.source().getAddress().isLoopbackAddress()).isTrue();
        tx.stop().block(TIMEOUT);
        receiving.dispose();
    }

    @Test
    void packetsReachAPlainUdpPeerAndStopIsGraceful() throws Exception {
        try (Loopback peer = new Loopback()) {
            DtlsTx tx = DtlsTx.to(peer.address()).from(new InetSocketAddress("127.0.0.1", 0)).start().block(TIMEOUT);
            Flux<ByteBuf> endless = Flux.generate(() -> 0, (i, sink) -> {
                sink.next(packet(i, 64));
                return i + 1;
            });
            StepVerifier send = StepVerifier.create(tx.send(endless)).expectComplete().verifyLater();
            byte[] first = peer.receive();
            assertThat(first).hasSize(64);
            assertThat(first[0]).isEqualTo((byte) 23);
            tx.stop().block(TIMEOUT);
            send.verify(TIMEOUT);
            assertThat(tx.status()).isEqualTo(DtlsTx.Status.STOPPED);
            assertThat(tx.sent()).isPositive();
            StepVerifier.create(tx.send(Mono.fromSupplier(() -> packet(0, 8))))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(PacketEndpointException.class)
                            .hasMessageContaining("STOPPED"))
                    .verify(TIMEOUT);
            // Packets taken but cut off by the stop were released: LeakTracking checks after the test.
        }
    }

    @Test
    void oneSourceAtATimeAndASourceErrorArrivesAfterItsPackets() throws Exception {
        try (Loopback peer = new Loopback()) {
            DtlsTx tx = DtlsTx.to(peer.address()).start().block(TIMEOUT);
            StepVerifier running = StepVerifier.create(tx.send(Flux.never())).expectError().verifyLater();
            StepVerifier.create(tx.send(Mono.fromSupplier(() -> packet(1, 8))))
                    .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("already sending"))
                    .verify(TIMEOUT);
            tx.dispose();
            running.verify(TIMEOUT);
            tx.onDispose().block(TIMEOUT);

            DtlsTx second = DtlsTx.to(peer.address()).start().block(TIMEOUT);
            StepVerifier.create(second.send(Flux.just(packet(7, 16)).concatWith(Flux.error(new IllegalStateException("source broke")))))
                    .expectErrorMessage("source broke")
                    .verify(TIMEOUT);
            assertThat(peer.receive()).hasSize(16);
            second.dispose();
        }
    }

    @Test
    void sourceAndDestinationMustShareAFamily() {
        assertThatThrownBy(() -> DtlsTx.to(new InetSocketAddress("127.0.0.1", 5684)).from(new InetSocketAddress("::1", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is IPv6 but destination /127.0.0.1:5684 is IPv4");
        assertThatThrownBy(() -> DtlsTx.to(new InetSocketAddress("127.0.0.1", 0)))
                .hasMessageContaining("needs a resolved address and a port");
        assertThatThrownBy(() -> DtlsTx.to(new InetSocketAddress("127.0.0.1", 5684)).notifyAt(100_000))
                .hasMessageContaining("notifyAt must be");
    }

    @Test
    void ipv6SourceAndDestinationWork() throws Exception {
        assumeTrue(NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null, "no IPv6 loopback");
        UdpSocket receiving = UdpSocket.bind(new InetSocketAddress("::1", 0)).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().on(receiving).block(TIMEOUT);
        DtlsTx tx = DtlsTx.to(receiving.localAddress()).from(new InetSocketAddress("::1", 0)).start().block(TIMEOUT);
        StepVerifier.create(tx.send(Flux.just(packet(6, 32)))).expectComplete().verify(TIMEOUT);
        StepVerifier.create(rx.packets().next())
                .assertNext(p -> {
                    assertThat(p.sender()).isEqualTo(tx.source());
                    assertThat(p.content().getInt(1)).isEqualTo(6);
                    p.release();
                })
                .expectComplete().verify(TIMEOUT);
        tx.stop().block(TIMEOUT);
        receiving.dispose();
    }

    @Test
    void aTxCanShareTheSocketOfAnRx() throws Exception {
        try (Loopback peer = new Loopback()) {
            UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
            DtlsRx rx = DtlsRx.spec().on(socket).block(TIMEOUT);
            DtlsTx tx = DtlsTx.to(peer.address()).on(socket).block(TIMEOUT);
            StepVerifier.create(tx.send(Flux.just(packet(9, 8)))).expectComplete().verify(TIMEOUT);
            peer.receive();
            peer.send(socket.localAddress(), (byte) 23, (byte) 9);
            StepVerifier.create(rx.packets().next().map(p -> {
                        int b = p.content().getUnsignedByte(1);
                        p.release();
                        return b;
                    }))
                    .expectNext(9).expectComplete()
                    .verify(TIMEOUT);
            tx.stop().block(TIMEOUT);
            assertThat(socket.isOpen()).as("a tx on a shared socket leaves it open").isTrue();
            socket.dispose();
        }
    }
}
