package io.sluice.dtls.packet;

import static io.sluice.dtls.packet.Loopback.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.codec.demux.PacketClass;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class RtpPortTest {

    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private static int firstByte(DatagramPacket p) {
        int b = p.content().getUnsignedByte(0);
        p.release();
        return b;
    }

    @Test
    void oneMuxedPortSplitsStunDtlsRtpAndRtcp() throws Exception {
        RtpPort port = RtpPort.bind(ANY_LOOPBACK).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().create().block(TIMEOUT);
        port.configDtls(rx, RtpPort.Port.RTP);
        InetSocketAddress to = port.socket(RtpPort.Port.RTP).localAddress();
        StepVerifier stun = StepVerifier.create(port.packets(RtpPort.Port.RTP, PacketClass.STUN).take(1).map(RtpPortTest::firstByte))
                .expectNext(0x00).expectComplete().verifyLater();
        StepVerifier rtp = StepVerifier.create(port.packets(RtpPort.Port.RTP, PacketClass.RTP).take(1).map(RtpPortTest::firstByte))
                .expectNext(0x80).expectComplete().verifyLater();
        StepVerifier rtcp = StepVerifier.create(port.packets(RtpPort.Port.RTCP, PacketClass.RTCP).take(1)
                        .map(p -> {
                            int pt = p.content().getUnsignedByte(1);
                            p.release();
                            return pt;
                        }))
                .expectNext(200).expectComplete().verifyLater();
        StepVerifier dtls = StepVerifier.create(rx.packets().take(1).map(RtpPortTest::firstByte))
                .expectNext(22).expectComplete().verifyLater();
        try (Loopback peer = new Loopback()) {
            peer.send(to, (byte) 0x00, (byte) 0x01, (byte) 0, (byte) 0);     // STUN Binding request
            peer.send(to, (byte) 22, (byte) 0xFE, (byte) 0xFD);                // DTLS handshake
            peer.send(to, (byte) 0x80, (byte) 96, (byte) 0, (byte) 1);         // RTP, PT 96
            peer.send(to, (byte) 0x80, (byte) 200, (byte) 0, (byte) 6);        // RTCP sender report
            peer.send(to, (byte) 5, (byte) 5);                                 // unassigned
            stun.verify(TIMEOUT);
            rtp.verify(TIMEOUT);
            rtcp.verify(TIMEOUT);
            dtls.verify(TIMEOUT);
            Loopback.awaitCount(port::unclaimed, 1);
        }
        assertThat(port.unclaimed()).isEqualTo(1);
        port.dispose();
        assertThat(rx.status()).isEqualTo(DtlsRx.Status.STOPPED);
    }

    @Test
    void dtlsComesFromTheConfiguredPortOnlyAndDetachingStopsTheFlow() throws Exception {
        RtpPort port = RtpPort.bind(ANY_LOOPBACK, ANY_LOOPBACK).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().create().block(TIMEOUT);
        port.configDtls(rx, RtpPort.Port.RTCP);
        InetSocketAddress rtpAddress = port.socket(RtpPort.Port.RTP).localAddress();
        InetSocketAddress rtcpAddress = port.socket(RtpPort.Port.RTCP).localAddress();
        assertThat(rtpAddress).isNotEqualTo(rtcpAddress);
        try (Loopback peer = new Loopback()) {
            peer.send(rtpAddress, (byte) 22, (byte) 1);
            Loopback.awaitCount(port::unclaimed, 1);
            peer.send(rtcpAddress, (byte) 22, (byte) 2);
            StepVerifier.create(rx.packets().next().map(p -> {
                        int b = p.content().getUnsignedByte(1);
                        p.release();
                        return b;
                    }))
                    .expectNext(2).expectComplete().verify(TIMEOUT);
            port.detachDtls();
            peer.send(rtcpAddress, (byte) 22, (byte) 3);
            Loopback.awaitCount(port::unclaimed, 2);
            assertThat(rx.received()).isEqualTo(1);
            // The rx is free again, so it can be configured on the other port.
            port.configDtls(rx, RtpPort.Port.RTP);
            port.configDtls(rx, RtpPort.Port.RTCP);
        }
        assertThatThrownBy(() -> port.packets(RtpPort.Port.RTP, PacketClass.DTLS)).hasMessageContaining("configDtls");
        port.dispose();
    }

    @Test
    void aClassSubscriberThatFallsBehindLosesCountedPackets() throws Exception {
        RtpPort port = RtpPort.bind(ANY_LOOPBACK).block(TIMEOUT);
        InetSocketAddress to = port.socket(RtpPort.Port.RTP).localAddress();
        StepVerifier.create(port.packets(RtpPort.Port.RTP, PacketClass.RTP, 8).doOnNext(DatagramPacket::release), 0)
                .then(() -> {
                    try (Loopback peer = new Loopback()) {
                        for (int i = 0; i < 40; i++) {
                            peer.send(to, (byte) 0x80, (byte) 96, (byte) 0, (byte) i);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    Loopback.awaitCount(port::received, 40);
                })
                .thenRequest(100)
                .expectNextCount(8)
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(port.overruns()).isEqualTo(32);
        assertThat(port.unclaimed()).isZero();
        port.dispose();
    }
}
