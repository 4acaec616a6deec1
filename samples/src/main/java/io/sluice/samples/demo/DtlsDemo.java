package io.sluice.samples.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.demux.PacketClass;
import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.DtlsTx;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.RtpPort;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsIdentity;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.DtlsTrust;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.dtls.session.SrtpKeys;
import io.sluice.dtls.session.SrtpProfile;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The DTLS part of the demo: an echo server and a client over PSK, then over an ECDSA certificate,
 * then DTLS-SRTP on two media ports, where the handshake shares each port with RTP.
 */
final class DtlsDemo {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private DtlsDemo() {
    }

    static void run() throws Exception {
        byte[] key = "demo-psk-0123456".getBytes(StandardCharsets.US_ASCII);
        echo("PSK", DtlsServer.psk("sluice-demo", identity -> key).bind(LOOPBACK).block(TIMEOUT),
                server -> DtlsClient.psk("demo-client", key).connect(server));

        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = ec.generateKeyPair();
        X509Certificate certificate = selfSigned(keys, "CN=sluice-demo");
        echo("ECDSA certificate", DtlsServer.certificate(DtlsIdentity.of(keys.getPrivate(), List.of(certificate))).bind(LOOPBACK)
                        .block(TIMEOUT),
                server -> DtlsClient.certificates(DtlsTrust.of(List.of(certificate))).connect(server));

        srtpOnMediaPorts(key);
    }

    /**
     * Two endpoints with one media port each (RTP and RTCP multiplexed, RFC 5761). The DTLS class of
     * each port goes to a DtlsRx (the seed's sm_vmprx_config_dtls); the server serves that, the
     * client connects over it with a DtlsTx to the server; RTP flows between the ports the whole time.
     */
    private static void srtpOnMediaPorts(byte[] key) {
        RtpPort answerer = RtpPort.bind(LOOPBACK).block(TIMEOUT);
        RtpPort offerer = RtpPort.bind(LOOPBACK).block(TIMEOUT);
        try {
            DtlsRx answererRx = DtlsRx.spec().create().block(TIMEOUT);
            answerer.configDtls(answererRx, RtpPort.Port.RTP);
            DtlsRx offererRx = DtlsRx.spec().create().block(TIMEOUT);
            offerer.configDtls(offererRx, RtpPort.Port.RTP);
            InetSocketAddress answererAddress = answerer.socket(RtpPort.Port.RTP).localAddress();
            InetSocketAddress offererAddress = offerer.socket(RtpPort.Port.RTP).localAddress();

            AtomicInteger rtpIn = new AtomicInteger();
            Mono<Long> arrived = answerer.packets(RtpPort.Port.RTP, PacketClass.RTP)
                    .doOnNext(p -> {
                        rtpIn.incrementAndGet();
                        p.release();
                    })
                    .take(200).take(Duration.ofSeconds(5)).count().cache();
            arrived.subscribe();
            // Media from the offerer to the answerer's port, before, during and after the handshake.
            Flux.interval(Duration.ofMillis(2)).take(200)
                    .subscribe(n -> offerer.socket(RtpPort.Port.RTP).write(rtp(n.intValue()), answererAddress));

            LiveDtlsServer server = DtlsServer.psk(null, identity -> key)
                    .srtpProfiles(SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES128_CM_HMAC_SHA1_80)
                    .serve(PacketPipe.of(answererRx.packets(), answerer.socket(RtpPort.Port.RTP)))
                    .block(TIMEOUT);
            Mono<DtlsSession> accepted = server.establishedSessions().next().cache();
            accepted.subscribe();
            DtlsTx toAnswerer = DtlsTx.to(answererAddress).on(offerer.socket(RtpPort.Port.RTP)).block(TIMEOUT);
            DtlsSession client = DtlsClient.psk("demo-media", key)
                    .srtpProfiles(SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_128_GCM)
                    .connect(PacketPipe.of(offererRx.packets(), toAnswerer), answererAddress)
                    .block(TIMEOUT);
            DtlsSession serverSide = accepted.block(TIMEOUT);
            int rtpDuringHandshake = rtpIn.get();
            SrtpKeys keys = client.srtpKeys().orElseThrow();
            boolean sameKeys = Arrays.equals(keys.keyingMaterial(), serverSide.srtpKeys().orElseThrow().keyingMaterial());
            System.out.println("  DTLS-SRTP: handshake " + offererAddress + " -> " + answererAddress + " ran on the media ports;"
                    + " profile " + keys.profile() + ", SRTP master keys of " + keys.profile().keyLength() + " bytes and salts of "
                    + keys.profile().saltLength() + (sameKeys ? ", equal on both ends" : ", DIFFERENT on the two ends"));
            System.out.println("  DTLS-SRTP: " + arrived.block(TIMEOUT) + " of 200 RTP packets arrived on the answerer's RTP stream (" + rtpDuringHandshake
                    + " of them by the end of the handshake), " + answerer.unclaimed() + " datagrams unclaimed");
            client.close().block(TIMEOUT);
            server.dispose();
            toAnswerer.dispose();
        } finally {
            answerer.dispose();
            offerer.dispose();
        }
    }

    private static ByteBuf rtp(int sequence) {
        // Version 2, payload type 96, the sequence number, a timestamp and an SSRC; no payload.
        return Unpooled.buffer(12).writeByte(0x80).writeByte(96).writeShort(sequence).writeInt(sequence * 160).writeInt(0x5EED);
    }

    private static void echo(String what, LiveDtlsServer server,
                             java.util.function.Function<InetSocketAddress, reactor.core.publisher.Mono<DtlsSession>> connect) {
        server.sessions().subscribe(s -> s.send(s.receive().map(b -> utf8("echo: " + text(b)))).subscribe(null, e -> { }));
        DtlsSession session = connect.apply(server.localAddress()).block(TIMEOUT);
        System.out.println("  " + what + ": handshake with " + server.localAddress() + " done, cipher suite " + session.cipherSuite());
        List<String> echoes = session.receive().map(DtlsDemo::text).take(2)
                .doOnSubscribe(s -> session.send(Flux.just("hello", "over DTLS").map(DtlsDemo::utf8)).subscribe())
                .collectList().block(TIMEOUT);
        System.out.println("  " + what + ": sent [hello, over DTLS], got back " + echoes);
        session.close().block(TIMEOUT);
        server.dispose();
        System.out.println("  " + what + ": closed with close_notify; server saw " + server.helloVerifyRequests()
                + " cookie exchange(s) before allocating anything");
    }

    private static X509Certificate selfSigned(KeyPair keys, String name) throws Exception {
        X500Name subject = new X500Name(name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(keys.getPrivate())));
    }

    private static ByteBuf utf8(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }
}
