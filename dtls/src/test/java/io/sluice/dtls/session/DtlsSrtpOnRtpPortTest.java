package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.codec.demux.PacketClass;
import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.DtlsTx;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.RtpPort;
import io.sluice.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * DTLS-SRTP on a shared media port (RFC 5764 with rtcp-mux, RFC 5761): the handshake runs through
 * an {@link RtpPort}'s demultiplexer, and RTP, RTCP and STUN from the same peer keep arriving on
 * their own streams while it runs and after.
 */
class DtlsSrtpOnRtpPortTest {

    private static final Duration TIMEOUT = DtlsPskTest.TIMEOUT;
    private static final String SRTP_LABEL = "EXTRACTOR-dtls_srtp";

    private final Disposable.Composite cleanup = Disposables.composite();

    @AfterEach
    void stop() {
        cleanup.dispose();
    }

    private <T extends Disposable> T own(T d) {
        cleanup.add(d);
        return d;
    }

    /** Media from one peer: each packet's first byte says its class, its last byte its number. */
    private static final class MediaPeer implements AutoCloseable {
        private final DatagramChannel channel;

        MediaPeer() throws IOException {
            channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress("127.0.0.1", 0));
        }

        void rtp(InetSocketAddress to, int n) throws IOException {
            channel.send(ByteBuffer.wrap(new byte[] {(byte) 0x80, 96, 0, (byte) n, 0, 0, 0, 0, 0, 0, 0, 1, (byte) n}), to);
        }

        void rtcp(InetSocketAddress to, int n) throws IOException {
            channel.send(ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 200, 0, 1, 0, 0, 0, 1, (byte) n}), to);
        }

        void stun(InetSocketAddress to, int n) throws IOException {
            channel.send(ByteBuffer.wrap(new byte[] {0, 1, 0, 0, 0x21, 0x12, (byte) 0xA4, 0x42, (byte) n}), to);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Collects the last byte of each packet of one class on one port. */
    private static BlockingQueue<Integer> collect(RtpPort port, PacketClass packetClass, Disposable.Composite cleanup) {
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        cleanup.add(port.packets(RtpPort.Port.RTP, packetClass).subscribe(p -> {
            ByteBuf c = p.content();
            seen.add((int) c.getUnsignedByte(c.writerIndex() - 1));
            p.release();
        }));
        return seen;
    }

    private static void expect(BlockingQueue<Integer> seen, int n, String what) throws InterruptedException {
        assertThat(seen.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as(what).isEqualTo(n);
    }

    /**
     * Holds every datagram after the first (the HelloVerifyRequest) until the gate opens: the
     * server's flight waits, so both handshakes are provably in progress while the test sends media.
     */
    private static Publisher<DatagramPacket> gatedAfterFirst(Flux<DatagramPacket> in, Sinks.Empty<Void> gate) {
        return in.index().concatMap(t -> t.getT1() == 0 ? Mono.just(t.getT2())
                : Mono.just(t.getT2()).delayUntil(p -> gate.asMono()));
    }

    @Test
    void theHandshakeRunsThroughTheDemuxWhileRtpRtcpAndStunKeepTheirStreams() throws Exception {
        RtpPort serverPort = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT));
        DtlsRx serverRx = own(DtlsRx.spec().create().block(TIMEOUT));
        serverPort.configDtls(serverRx, RtpPort.Port.RTP);
        InetSocketAddress serverAddress = serverPort.socket(RtpPort.Port.RTP).localAddress();
        LiveDtlsServer server = own(DtlsServer.psk(null, id -> DtlsPskTest.KEY)
                .srtpProfiles(SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES128_CM_HMAC_SHA1_80)
                .exportKeyingMaterial(SRTP_LABEL, null, 60)
                .serve(PacketPipe.of(serverRx.packets(), serverPort.socket(RtpPort.Port.RTP)))
                .block(TIMEOUT));
        BlockingQueue<DtlsSession> accepted = new LinkedBlockingQueue<>();
        own(server.establishedSessions().subscribe(accepted::add));

        RtpPort clientPort = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT));
        DtlsRx clientRx = own(DtlsRx.spec().create().block(TIMEOUT));
        clientPort.configDtls(clientRx, RtpPort.Port.RTP);
        DtlsTx toServer = own(DtlsTx.to(serverAddress).on(clientPort.socket(RtpPort.Port.RTP)).block(TIMEOUT));
        Sinks.Empty<Void> gate = Sinks.empty();

        BlockingQueue<Integer> rtp = collect(serverPort, PacketClass.RTP, cleanup);
        BlockingQueue<Integer> stun = collect(serverPort, PacketClass.STUN, cleanup);
        BlockingQueue<Integer> rtcp = new LinkedBlockingQueue<>();
        own(serverPort.packets(RtpPort.Port.RTCP, PacketClass.RTCP).subscribe(p -> {
            rtcp.add((int) p.content().getUnsignedByte(p.content().writerIndex() - 1));
            p.release();
        }));

        BlockingQueue<Object> connected = new LinkedBlockingQueue<>();
        own(DtlsClient.psk("media", DtlsPskTest.KEY)
                .srtpProfiles(SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_128_GCM)
                .exportKeyingMaterial(SRTP_LABEL, null, 60)
                .connect(PacketPipe.of(gatedAfterFirst(clientRx.packets(), gate), toServer), serverAddress)
                .subscribe(connected::add, connected::add));

        try (MediaPeer media = new MediaPeer()) {
            // The server passed the cookie exchange and is in its handshake; the client holds the
            // server's flight: media sent now arrives while both handshakes run.
            Await.until(() -> server.connections() == 1, TIMEOUT);
            for (int i = 1; i <= 5; i++) {
                media.rtp(serverAddress, i);
                expect(rtp, i, "RTP " + i + " during the handshake");
                media.stun(serverAddress, i);
                expect(stun, i, "STUN " + i + " during the handshake");
                media.rtcp(serverAddress, i);
                expect(rtcp, i, "RTCP " + i + " (rtcp-mux) during the handshake");
            }
            assertThat(connected).as("the handshake is still held").isEmpty();
            assertThat(server.established()).isZero();

            gate.tryEmitEmpty();
            Object outcome = connected.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(outcome).isInstanceOf(DtlsSession.class);
            DtlsSession client = own((DtlsSession) outcome);
            DtlsSession serverSide = own(accepted.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));

            assertThat(client.srtpProfile()).contains(SrtpProfile.AEAD_AES_128_GCM);
            assertThat(serverSide.srtpProfile()).contains(SrtpProfile.AEAD_AES_128_GCM);
            assertThat(client.exportKeyingMaterial(SRTP_LABEL, null, 60))
                    .as("both ends derive the same SRTP keying material")
                    .isEqualTo(serverSide.exportKeyingMaterial(SRTP_LABEL, null, 60));
            SrtpKeys keys = client.srtpKeys().orElseThrow();
            assertThat(keys.profile()).isEqualTo(SrtpProfile.AEAD_AES_128_GCM);
            assertThat(keys.keyingMaterial()).as("the keys are the exporter's output at the profile's length (16+16+12+12)")
                    .hasSize(56).isEqualTo(java.util.Arrays.copyOf(client.exportKeyingMaterial(SRTP_LABEL, null, 60), 56));
            assertThat(keys.clientMasterKey()).hasSize(16).isEqualTo(serverSide.srtpKeys().orElseThrow().clientMasterKey());
            assertThat(keys.serverMasterSalt()).hasSize(12).isEqualTo(serverSide.srtpKeys().orElseThrow().serverMasterSalt());
            assertThat(keys.clientMasterKey()).isNotEqualTo(keys.serverMasterKey());
            assertThat(keys.toString()).doesNotContain(java.util.HexFormat.of().formatHex(keys.clientMasterKey()));
            assertThat(client.localAddress()).isEqualTo(clientPort.socket(RtpPort.Port.RTP).localAddress());

            for (int i = 6; i <= 8; i++) {
                media.rtp(serverAddress, i);
                expect(rtp, i, "RTP " + i + " after the handshake");
                media.stun(serverAddress, i);
                expect(stun, i, "STUN " + i + " after the handshake");
            }
            // Application data still runs through the demux both ways.
            own(serverSide.send(serverSide.receive()).subscribe(null, e -> { }));
            StepVerifier.create(client.receive().map(DtlsPskTest::text).take(2))
                    .then(() -> client.send(Flux.just("one", "two").map(DtlsPskTest::utf8)).subscribe())
                    .expectNext("one", "two")
                    .expectComplete()
                    .verify(TIMEOUT);
            assertThat(serverPort.unclaimed()).as("nothing lost to the demux").isZero();
            assertThat(toServer.sent()).as("the client's records left through the DtlsTx").isGreaterThanOrEqualTo(3);
            client.close().block(TIMEOUT);
            StepVerifier.create(serverSide.onClose()).expectComplete().verify(TIMEOUT);
        }
    }

    @Test
    void disposingTheServerLeavesThePortAndItsMediaRunning() throws Exception {
        RtpPort port = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT));
        DtlsRx rx = own(DtlsRx.spec().create().block(TIMEOUT));
        port.configDtls(rx, RtpPort.Port.RTP);
        PacketPipe pipe = PacketPipe.of(rx.packets(), port.socket(RtpPort.Port.RTP));
        LiveDtlsServer server = DtlsServer.psk(null, id -> DtlsPskTest.KEY).serve(pipe).block(TIMEOUT);
        assertThat(server.localAddress()).isEqualTo(port.socket(RtpPort.Port.RTP).localAddress());
        StepVerifier.create(DtlsServer.psk(null, id -> DtlsPskTest.KEY).serve(pipe))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("carries a layer already"))
                .verify(TIMEOUT);
        server.dispose();
        StepVerifier.create(server.onDispose()).expectComplete().verify(TIMEOUT);
        assertThat(port.isDisposed()).isFalse();
        BlockingQueue<Integer> rtp = collect(port, PacketClass.RTP, cleanup);
        try (MediaPeer media = new MediaPeer()) {
            media.rtp(port.socket(RtpPort.Port.RTP).localAddress(), 7);
            expect(rtp, 7, "RTP after the DTLS server stopped");
        }
    }

    @Test
    void theServerStopsWhenItsPortCloses() {
        RtpPort port = RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsRx rx = DtlsRx.spec().create().block(TIMEOUT);
        port.configDtls(rx, RtpPort.Port.RTP);
        LiveDtlsServer server = DtlsServer.psk(null, id -> DtlsPskTest.KEY)
                .serve(PacketPipe.of(rx.packets(), port.socket(RtpPort.Port.RTP))).block(TIMEOUT);
        StepVerifier.create(server.sessions()).then(port::dispose).expectComplete().verify(TIMEOUT);
        StepVerifier.create(server.onDispose()).expectComplete().verify(TIMEOUT);
        assertThat(server.isDisposed()).isTrue();
    }

    @Test
    void aDtlsTxSendsOnlyToItsPeer() {
        RtpPort port = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT));
        DtlsTx tx = own(DtlsTx.to(new InetSocketAddress("127.0.0.1", 9)).on(port.socket(RtpPort.Port.RTP)).block(TIMEOUT));
        ByteBuf content = DtlsPskTest.utf8("x");
        var send = tx.write(content, new InetSocketAddress("127.0.0.1", 10));
        assertThat(send.isDone() && !send.isSuccess()).isTrue();
        assertThat(send.cause()).hasMessageContaining("sends to /127.0.0.1:9 only");
        assertThat(content.refCnt()).as("the refused packet was released").isZero();
    }
}
