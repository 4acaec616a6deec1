package io.sluice.dtls.packet;

import static io.sluice.dtls.packet.Loopback.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The packet endpoints' counters as meters tagged by endpoint: received, sent, bytes, drops by reason. */
class PacketMetricsTest {

    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    @Test
    void anRtpPortAndItsDtlsRxCountWhatArrivesAndWhatNobodyTook() throws Exception {
        RtpPort port = RtpPort.spec().metrics(registry).wiretap(true).bind(ANY_LOOPBACK).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().metrics(registry).create().block(TIMEOUT);
        port.configDtls(rx, RtpPort.Port.RTP);
        InetSocketAddress to = port.socket(RtpPort.Port.RTP).localAddress();
        try (Loopback peer = new Loopback()) {
            peer.send(to, (byte) 22, (byte) 0xFE, (byte) 0xFD);          // DTLS: to the rx
            peer.send(to, (byte) 0x80, (byte) 96, (byte) 0, (byte) 1);   // RTP: nobody subscribed
            Loopback.awaitCount(port::received, 2);
        }
        assertThat(counter("sluice.packet.received", "endpoint", "rtp.port")).isEqualTo(2);
        assertThat(counter("sluice.packet.drops", "endpoint", "rtp.port", "reason", "unclaimed")).isEqualTo(1);
        assertThat(counter("sluice.packet.received", "endpoint", "dtls.rx")).isEqualTo(1);
        assertThat(registry.get("sluice.packet.buffered").tags("endpoint", "dtls.rx").gauge().value()).isEqualTo(1);
        StepVerifier.create(rx.packets().take(1).doOnNext(p -> p.release())).expectNextCount(1).expectComplete().verify(TIMEOUT);
        port.dispose();
        assertThat(counter("sluice.packet.received", "endpoint", "rtp.port")).as("kept after dispose").isEqualTo(2);
    }

    @Test
    void aDtlsTxCountsPacketsAndBytesSent() throws Exception {
        try (Loopback peer = new Loopback()) {
            DtlsTx tx = DtlsTx.to(peer.address()).metrics(registry).start().block(TIMEOUT);
            StepVerifier.create(tx.send(Flux.just(Unpooled.wrappedBuffer(new byte[] {22, 1, 2}), Unpooled.wrappedBuffer(new byte[] {23, 4}))))
                    .expectComplete().verify(TIMEOUT);
            Loopback.awaitCount(tx::sent, 2);
            assertThat(counter("sluice.packet.sent", "endpoint", "dtls.tx")).isEqualTo(2);
            assertThat(counter("sluice.packet.bytes.sent", "endpoint", "dtls.tx")).isEqualTo(5);
            assertThat(counter("sluice.packet.drops", "endpoint", "dtls.tx", "reason", "failed")).isZero();
            tx.dispose();
        }
    }
}
