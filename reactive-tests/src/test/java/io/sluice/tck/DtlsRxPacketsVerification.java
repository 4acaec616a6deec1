package io.sluice.tck;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterMethod;

/**
 * {@code DtlsRx.packets()} under the Reactive Streams TCK: real datagrams over loopback fill the
 * buffer, then {@code stop()} lets the stream complete. Packets are released by a {@code map}
 * (the TCK's subscribers would otherwise leak them), which passes every signal through unchanged.
 */
public class DtlsRxPacketsVerification extends PublisherVerification<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final List<UdpSocket> sockets = new CopyOnWriteArrayList<>();
    private final List<DtlsRx> endpoints = new CopyOnWriteArrayList<>();

    public DtlsRxPacketsVerification() {
        super(TckEnvironment.datagram());
    }

    /** Releases what a test left buffered (some TCK rules never drain a publisher). */
    @AfterMethod
    public void disposeEndpoints() {
        endpoints.forEach(DtlsRx::dispose);
        endpoints.clear();
        sockets.forEach(UdpSocket::dispose);
        sockets.clear();
    }

    private DtlsRx filledRx(long elements) {
        UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        sockets.add(socket);
        DtlsRx rx = DtlsRx.spec().bufferPackets((int) Math.max(1, elements)).on(socket).block(TIMEOUT);
        endpoints.add(rx);
        try (DatagramChannel sender = DatagramChannel.open()) {
            sender.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < elements; i++) {
                sender.send(ByteBuffer.wrap(new byte[] {23, (byte) i}), socket.localAddress());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Await.until(() -> rx.received() >= elements, TIMEOUT);
        return rx;
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        DtlsRx rx = filledRx(elements);
        rx.stop().block(TIMEOUT);
        return rx.packets().map(DtlsRxPacketsVerification::secondByte);
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        DtlsRx rx = filledRx(0);
        rx.packets().subscribe(DatagramPacket::release);
        // Packets go to one subscriber: the second one fails.
        return rx.packets().map(DtlsRxPacketsVerification::secondByte);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 64;
    }

    static int secondByte(DatagramPacket packet) {
        try {
            return packet.content().getUnsignedByte(1);
        } finally {
            packet.release();
        }
    }
}
