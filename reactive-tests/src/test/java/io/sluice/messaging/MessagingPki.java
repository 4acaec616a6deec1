package io.sluice.messaging;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Security-environment directories for the messaging TLS tests, laid out as SOM expects:
 * {@code ca.pem} with the trusted CA, {@code id.p12} with an identity (written by the JDK's
 * PKCS#12 key store). Certificates are made with BouncyCastle's builder.
 */
final class MessagingPki {

    static final char[] PASSPHRASE = "environment-secret".toCharArray();
    private static final AtomicLong SERIAL = new AtomicLong(1);

    final String name;
    final KeyPair keys;
    final X509Certificate certificate;

    MessagingPki(String name) throws Exception {
        this.name = name;
        this.keys = ec();
        this.certificate = sign("CN=" + name, keys, "CN=" + name, keys, true, null, Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    /**
     * Writes a directory holding this CA as {@code ca.pem} and, when {@code subject} is not null,
     * an identity it signed.
     */
    Path environment(Path dir, String subject, String ipAddress, Instant notBefore, Duration validity) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ca.pem"), pem(certificate));
        if (subject != null) {
            KeyPair idKeys = ec();
            X509Certificate cert = sign(subject, idKeys, "CN=" + name, keys, false, ipAddress, notBefore, validity);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("id", idKeys.getPrivate(), PASSPHRASE, new Certificate[] {cert, certificate});
            try (OutputStream out = Files.newOutputStream(dir.resolve("id.p12"))) {
                store.store(out, PASSPHRASE);
            }
        }
        return dir;
    }

    Path environment(Path dir, String subject, String ipAddress) throws Exception {
        return environment(dir, subject, ipAddress, Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    /** An environment with only an identity, no ca.pem. */
    Path identityOnly(Path dir, String subject) throws Exception {
        environment(dir, subject, null);
        Files.delete(dir.resolve("ca.pem"));
        return dir;
    }

    private static String pem(X509Certificate cert) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca,
                                        String ipAddress, Instant notBefore, Duration validity) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(SERIAL.getAndIncrement()),
                Date.from(notBefore), Date.from(notBefore.plus(validity)), new X500Name(subject), subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ipAddress != null) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.iPAddress, ipAddress)));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
