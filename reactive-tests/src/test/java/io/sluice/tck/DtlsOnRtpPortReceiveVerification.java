package io.sluice.tck;

import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.DtlsTx;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.RtpPort;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.testng.annotations.AfterClass;
import reactor.core.Disposable;

/**
 * {@code DtlsSession.receive()} composed over media ports under the Reactive Streams TCK: the
 * server serves the DTLS class of an {@link RtpPort} (its socket sending), and each client runs on
 * an {@code RtpPort} of its own with a {@link DtlsTx} to the server, as DTLS-SRTP does.
 */
public class DtlsOnRtpPortReceiveVerification extends DtlsSessionReceiveVerification {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private final List<Disposable> ports = new CopyOnWriteArrayList<>();

    private PacketPipe pipeOnNewPort(InetSocketAddress peer) {
        RtpPort port = RtpPort.bind(LOOPBACK).block(TIMEOUT);
        ports.add(port);
        DtlsRx rx = DtlsRx.spec().create().block(TIMEOUT);
        port.configDtls(rx, RtpPort.Port.RTP);
        if (peer == null) {
            return PacketPipe.of(rx.packets(), port.socket(RtpPort.Port.RTP));
        }
        DtlsTx tx = DtlsTx.to(peer).on(port.socket(RtpPort.Port.RTP)).block(TIMEOUT);
        ports.add(tx);
        return PacketPipe.of(rx.packets(), tx);
    }

    @Override
    protected LiveDtlsServer startServer(DtlsServer spec) {
        return spec.serve(pipeOnNewPort(null)).block(TIMEOUT);
    }

    @Override
    protected DtlsSession connect(DtlsClient spec, InetSocketAddress server) {
        return spec.connect(pipeOnNewPort(server), server).block(TIMEOUT);
    }

    @AfterClass(alwaysRun = true)
    public void closePorts() {
        ports.forEach(Disposable::dispose);
    }
}
