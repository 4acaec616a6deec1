package io.sluice.samples.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsIdentity;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.DtlsTrust;
import io.sluice.dtls.session.LiveDtlsServer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import reactor.core.publisher.Flux;

/** The DTLS part of the demo: an echo server and a client over PSK, then over an ECDSA certificate. */
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
