package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.codec.demux.PacketClass;
import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.DtlsTx;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.RtpPort;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.dtls.session.SrtpKeys;
import io.sluice.dtls.session.SrtpProfile;
import io.sluice.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
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

/**
 * DTLS-SRTP on a shared media port against OpenSSL: {@code s_client -use_srtp} with a Sluice
 * server hosted on an {@link RtpPort}, and a Sluice client on an {@code RtpPort} with
 * {@code s_server -use_srtp}. The profile and the exported SRTP keying material must equal what
 * OpenSSL prints ({@code -keymatexport}); RTP and STUN sent to the same port while the handshake is
 * held in the middle arrive on their own streams.
 */
class OpensslDtlsSrtpOnRtpPortInteropTest {

    private static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);
    private static final String KEY_HEX = HexFormat.of().formatHex(KEY);
    private static final String LABEL = "EXTRACTOR-dtls_srtp";

    private final Disposable.Composite cleanup = Disposables.composite();

    @AfterEach
    void stop() {
        cleanup.dispose();
    }

    private <T extends Disposable> T own(T d) {
        cleanup.add(d);
        return d;
    }

    /** Holds the inbound DTLS datagrams from the {@code held}-th on (0-based) until the gate opens. */
    private static Publisher<DatagramPacket> holdFrom(Flux<DatagramPacket> in, long held, Sinks.Empty<Void> gate) {
        return in.index().concatMap(t -> t.getT1() < held ? Mono.just(t.getT2())
                : Mono.just(t.getT2()).delayUntil(p -> gate.asMono()));
    }

    private BlockingQueue<Integer> lastBytes(RtpPort port, PacketClass packetClass) {
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        own(port.packets(RtpPort.Port.RTP, packetClass).subscribe(p -> {
            ByteBuf c = p.content();
            seen.add((int) c.getUnsignedByte(c.writerIndex() - 1));
            p.release();
        }));
        return seen;
    }

    /** Sends RTP and STUN to {@code to} and waits for each on its own stream. */
    private static void mediaArrives(InetSocketAddress to, BlockingQueue<Integer> rtp, BlockingQueue<Integer> stun, int from, int count)
            throws IOException, InterruptedException {
        try (DatagramChannel media = DatagramChannel.open()) {
            media.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int n = from; n < from + count; n++) {
                media.send(ByteBuffer.wrap(new byte[] {(byte) 0x80, 96, 0, (byte) n, 0, 0, 0, 0, 0, 0, 0, 1, (byte) n}), to);
                assertThat(rtp.poll(PeerProcess.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("RTP %d", n).isEqualTo(n);
                media.send(ByteBuffer.wrap(new byte[] {0, 1, 0, 0, 0x21, 0x12, (byte) 0xA4, 0x42, (byte) n}), to);
                assertThat(stun.poll(PeerProcess.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("STUN %d", n).isEqualTo(n);
            }
        }
    }

    /** RFC 5764 §4.2 for SRTP_AES128_CM_SHA1_80: client key, server key (16 each), client salt, server salt (14 each). */
    private static void assertSplit(SrtpKeys split, String opensslHex) {
        byte[] material = HexFormat.of().parseHex(opensslHex.toLowerCase());
        assertThat(split.clientMasterKey()).isEqualTo(java.util.Arrays.copyOfRange(material, 0, 16));
        assertThat(split.serverMasterKey()).isEqualTo(java.util.Arrays.copyOfRange(material, 16, 32));
        assertThat(split.clientMasterSalt()).isEqualTo(java.util.Arrays.copyOfRange(material, 32, 46));
        assertThat(split.serverMasterSalt()).isEqualTo(java.util.Arrays.copyOfRange(material, 46, 60));
    }

    @Test
    void opensslClientWithUseSrtpAgainstASluiceServerOnAnRtpPort() throws Exception {
        RtpPort port = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT));
        DtlsRx rx = own(DtlsRx.spec().create().block(PeerProcess.TIMEOUT));
        port.configDtls(rx, RtpPort.Port.RTP);
        Sinks.Empty<Void> gate = Sinks.empty();
        // The first two datagrams are ClientHellos (without, then with the cookie); the third is
        // OpenSSL's second flight, held so the handshake stays in progress while media flows.
        LiveDtlsServer server = own(DtlsServer.psk(null, id -> KEY)
                .srtpProfiles(SrtpProfile.AES128_CM_HMAC_SHA1_80)
                .exportKeyingMaterial(LABEL, null, 60)
                .serve(PacketPipe.of(holdFrom(rx.packets(), 2, gate), port.socket(RtpPort.Port.RTP)))
                .block(PeerProcess.TIMEOUT));
        BlockingQueue<DtlsSession> accepted = new LinkedBlockingQueue<>();
        own(server.establishedSessions().subscribe(accepted::add));
        BlockingQueue<Integer> rtp = lastBytes(port, PacketClass.RTP);
        BlockingQueue<Integer> stun = lastBytes(port, PacketClass.STUN);
        InetSocketAddress to = port.socket(RtpPort.Port.RTP).localAddress();

        mediaArrives(to, rtp, stun, 1, 3);
        try (PeerProcess client = PeerProcess.start("s_client", "-dtls1_2", "-connect", "127.0.0.1:" + to.getPort(),
                "-psk_identity", "openssl", "-psk", KEY_HEX, "-use_srtp", "SRTP_AES128_CM_SHA1_80",
                "-keymatexport", LABEL, "-keymatexportlen", "60")) {
            Await.until(() -> server.connections() == 1, PeerProcess.TIMEOUT);
            mediaArrives(to, rtp, stun, 4, 5);
            assertThat(server.established()).as("the handshake is still held").isZero();
            gate.tryEmitEmpty();
            client.await("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80");
            String keys = client.await("Keying material: ").replaceAll(".*Keying material: *", "").trim();
            DtlsSession session = own(accepted.poll(PeerProcess.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertThat(session.srtpProfile()).contains(SrtpProfile.AES128_CM_HMAC_SHA1_80);
            assertThat(HexFormat.of().formatHex(session.exportKeyingMaterial(LABEL, null, 60))).isEqualToIgnoringCase(keys);
            assertSplit(session.srtpKeys().orElseThrow(), keys);
            mediaArrives(to, rtp, stun, 9, 3);
            // Application data from OpenSSL arrives through the demux too.
            client.println("over the media port");
            assertThat(session.receive().map(b -> {
                String s = b.toString(StandardCharsets.UTF_8);
                b.release();
                return s;
            }).blockFirst(PeerProcess.TIMEOUT)).isEqualTo("over the media port\n");
        }
        assertThat(port.unclaimed()).isZero();
    }

    @Test
    void aSluiceClientOnAnRtpPortWithUseSrtpAgainstOpensslServer() throws Exception {
        int serverPort = PeerProcess.freeUdpPort();
        InetSocketAddress serverAddress = new InetSocketAddress("127.0.0.1", serverPort);
        try (PeerProcess server = PeerProcess.start("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + serverPort, "-nocert",
                "-psk_identity", "sluice", "-psk", KEY_HEX, "-use_srtp", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80",
                "-keymatexport", LABEL, "-keymatexportlen", "60")) {
            server.await("ACCEPT");
            RtpPort port = own(RtpPort.bind(new InetSocketAddress("127.0.0.1", 0)).block(PeerProcess.TIMEOUT));
            DtlsRx rx = own(DtlsRx.spec().create().block(PeerProcess.TIMEOUT));
            port.configDtls(rx, RtpPort.Port.RTP);
            DtlsTx tx = own(DtlsTx.to(serverAddress).on(port.socket(RtpPort.Port.RTP)).block(PeerProcess.TIMEOUT));
            BlockingQueue<Integer> rtp = lastBytes(port, PacketClass.RTP);
            BlockingQueue<Integer> stun = lastBytes(port, PacketClass.STUN);
            InetSocketAddress to = port.socket(RtpPort.Port.RTP).localAddress();
            Sinks.Empty<Void> gate = Sinks.empty();
            BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
            own(DtlsClient.psk("sluice", KEY)
                    .srtpProfiles(SrtpProfile.AES128_CM_HMAC_SHA1_80)
                    .exportKeyingMaterial(LABEL, null, 60)
                    .connect(PacketPipe.of(holdFrom(rx.packets().doOnNext(p -> outcome.offer("dtls")), 1, gate), tx), serverAddress)
                    .subscribe(outcome::add, outcome::add));
            // OpenSSL answered (its HelloVerifyRequest or its flight); everything after is held.
            assertThat(outcome.poll(PeerProcess.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("dtls");
            mediaArrives(to, rtp, stun, 1, 5);
            gate.tryEmitEmpty();
            DtlsSession session = null;
            for (Object o; session == null && (o = outcome.poll(PeerProcess.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) != null; ) {
                if (o instanceof Throwable t) {
                    throw new AssertionError("the handshake failed", t);
                }
                if (o instanceof DtlsSession s) {
                    session = own(s);
                }
            }
            assertThat(session).as("the handshake completed").isNotNull();
            server.await("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80");
            String keys = server.await("Keying material: ").replaceAll(".*Keying material: *", "").trim();
            assertThat(session.srtpProfile()).contains(SrtpProfile.AES128_CM_HMAC_SHA1_80);
            assertThat(HexFormat.of().formatHex(session.exportKeyingMaterial(LABEL, null, 60))).isEqualToIgnoringCase(keys);
            assertSplit(session.srtpKeys().orElseThrow(), keys);
            session.send(Mono.fromSupplier(() -> io.netty.buffer.Unpooled.copiedBuffer("hello through the demux\n", StandardCharsets.UTF_8)))
                    .block(PeerProcess.TIMEOUT);
            server.await("hello through the demux");
            mediaArrives(to, rtp, stun, 6, 3);
            assertThat(tx.sent()).isGreaterThanOrEqualTo(3);
            session.close().block(PeerProcess.TIMEOUT);
        }
    }
}
