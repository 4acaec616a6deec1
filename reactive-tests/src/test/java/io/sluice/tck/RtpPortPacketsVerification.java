package io.sluice.tck;

import io.sluice.codec.demux.PacketClass;
import io.sluice.dtls.packet.RtpPort;
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
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code RtpPort.packets(port, class)} under the Reactive Streams TCK: once subscribed, real RTP
 * datagrams are sent to the port over loopback, then the port is stopped so the stream completes.
 */
public class RtpPortPacketsVerification extends PublisherVerification<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final List<RtpPort> ports = new CopyOnWriteArrayList<>();

    public RtpPortPacketsVerification() {
        super(TckEnvironment.create());
    }

    /** Releases what a test left buffered (some TCK rules never drain a publisher). */
    @AfterMethod
    public void disposePorts() {
        ports.forEach(RtpPort::dispose);
        ports.clear();
    }

    private RtpPort bind() {
        RtpPort port = RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        ports.add(port);
        return port;
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        RtpPort port = bind();
        return port.packets(RtpPort.Port.RTP, PacketClass.RTP, (int) Math.max(1, elements))
                .doOnSubscribe(s -> Mono.fromRunnable(() -> sendThenDispose(port, elements))
                        .subscribeOn(Schedulers.boundedElastic()).subscribe())
                .map(DtlsRxPacketsVerification::secondByte);
    }

    private static void sendThenDispose(RtpPort port, long elements) {
        try (DatagramChannel sender = DatagramChannel.open()) {
            sender.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < elements; i++) {
                sender.send(ByteBuffer.wrap(new byte[] {(byte) 0x80, 96, 0, (byte) i}), port.socket(RtpPort.Port.RTP).localAddress());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Await.until(() -> port.received() >= elements, TIMEOUT);
        port.stop().block(TIMEOUT);
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        RtpPort port = bind();
        port.packets(RtpPort.Port.RTP, PacketClass.RTP).subscribe(p -> p.release());
        // One subscriber per class and port: the second one fails.
        return port.packets(RtpPort.Port.RTP, PacketClass.RTP).map(DtlsRxPacketsVerification::secondByte);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 64;
    }
}
