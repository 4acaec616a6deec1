package io.sluice.dtls.session;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made on the spot for tests: a CA and the identities it signs. */
final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(1);

    final KeyPair caKeys;
    final X509Certificate ca;

    TestPki(String name) throws Exception {
        caKeys = ec();
        ca = sign(new X500Name("CN=" + name), caKeys, new X500Name("CN=" + name), caKeys, true, Instant.now().minusSeconds(60),
                Duration.ofDays(1));
    }

    DtlsTrust trust() {
        return DtlsTrust.of(List.of(ca));
    }

    DtlsIdentity issue(String cn, boolean ecdsa) throws Exception {
        return issue(cn, ecdsa, Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    DtlsIdentity issue(String cn, boolean ecdsa, Instant notBefore, Duration validity) throws Exception {
        KeyPair keys = ecdsa ? ec() : rsa();
        X509Certificate cert = sign(new X500Name("CN=" + cn), keys, new X500Name(ca.getSubjectX500Principal().getName()), caKeys, false,
                notBefore, validity);
        return DtlsIdentity.of(keys.getPrivate(), List.of(cert, ca));
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean ca,
                                        Instant notBefore, Duration validity) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.getAndIncrement()),
                Date.from(notBefore), Date.from(notBefore.plus(validity)), subject, subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        String alg = issuerKeys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(issuerKeys.getPrivate())));
    }
}
