package io.sluice.samples.demo;

import io.sluice.error.SluiceException;
import io.sluice.messaging.Credentials;
import io.sluice.messaging.Facility;
import io.sluice.messaging.FacilityAuthorization;
import io.sluice.messaging.LiveMessagingServer;
import io.sluice.messaging.MessagingClient;
import io.sluice.messaging.MessagingServer;
import io.sluice.messaging.MessagingSession;
import io.sluice.messaging.SecurityEnvironment;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.samples.switching.MessageSwitch;
import io.sluice.samples.switching.SwitchFacility;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The messaging part of the demo: a switch server over TLS, an operator authenticating with
 * SCRAM-SHA-256 and streaming queue status, a second client authenticating with its certificate
 * (SASL EXTERNAL) and clearing the facility under a running stream, and the errors a management
 * client meets.
 */
final class MessagingDemo {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final char[] PASSPHRASE = "demo-passphrase".toCharArray();

    private MessagingDemo() {
    }

    static void run() throws Exception {
        Path dir = Files.createTempDirectory("sluice-som");
        KeyPair caKeys = ec();
        X509Certificate ca = sign("CN=Demo Switch CA", caKeys, "CN=Demo Switch CA", caKeys, true, null);
        SecurityEnvironment serverEnv = environment(dir.resolve("switch"), ca, caKeys, "CN=switch", "127.0.0.1");
        SecurityEnvironment operatorEnv = environment(dir.resolve("operator"), ca, caKeys, null, null);
        SecurityEnvironment carolEnv = environment(dir.resolve("carol"), ca, caKeys, "CN=carol", null);

        MessageSwitch sw = new MessageSwitch(Duration.ofMillis(40), 7);
        LiveMessagingServer server = MessagingServer.create()
                .tls(serverEnv)
                .authenticator(Authenticator.of(List.of(
                        new Account("alice", ScramCredential.fromPassword("pencil".toCharArray(), 4096), Set.of("operator"), null),
                        new Account("bob", ScramCredential.fromPassword("hunter2".toCharArray(), 4096), Set.of(), null)),
                        Map.of("CN=carol", "carol")))
                .authorization(FacilityAuthorization.byRole(Map.of("operator", Set.of("switch"), "carol", Set.of("switch"))))
                .facility(sw.dispatch())
                .bindNow(TIMEOUT);
        System.out.println("  switch server on " + server.address() + " with TLS (" + serverEnv.identityCertificate().getSubjectX500Principal()
                + ", client certificates from " + ca.getSubjectX500Principal() + " accepted)");

        MessagingClient operatorClient = MessagingClient.create(SwitchFacility.SWITCH).tls(operatorEnv);
        MessagingSession alice = operatorClient.open("127.0.0.1", server.port(),
                Credentials.password("alice", "pencil".toCharArray()).role("operator")).block(TIMEOUT);
        System.out.println("  alice: " + alice.who().orElseThrow() + " over " + alice.tlsSession().orElseThrow().getProtocol()
                + "; the server offered " + alice.offeredMechanisms());
        alice.stream(SwitchFacility.QUEUE_STATUS, 50).take(3).doOnNext(s -> System.out.println("  [queues #" + s.sequence() + "] "
                + s.queues().stream().map(q -> q.queue() + " " + q.depth() + (q.held() > 0 ? " (" + q.held() + " held)" : ""))
                .collect(Collectors.joining(", ")))).blockLast(TIMEOUT);
        // The router delivers unheld messages as the demo runs, so each message is held before
        // anything else is done to it; a message delivered between list and hold is simply skipped.
        SwitchFacility.Message first = holdNewest(alice, -1);
        SwitchFacility.Message second = holdNewest(alice, first.id());
        System.out.println("  hold #" + first.id() + " (" + first.originator() + " -> " + first.recipient() + " in " + first.queue()
                + ") and #" + second.id() + " -> held=" + (first.held() && second.held()));
        System.out.println("  release #" + first.id() + " -> held=" + alice.call(SwitchFacility.RELEASE, first.id()).block(TIMEOUT).held());
        alice.call(SwitchFacility.DELETE, second.id()).block(TIMEOUT);
        try {
            alice.call(SwitchFacility.HOLD, second.id()).block(TIMEOUT);
        } catch (io.sluice.peer.PeerException e) {
            System.out.println("  delete #" + second.id() + ", then hold it -> status " + e.wireStatus() + ": " + e.detail());
        }
        alice.stream(SwitchFacility.EVENT_LOG, 4).take(4)
                .doOnNext(e -> System.out.println("  [log #" + e.sequence() + "] " + e.kind() + " #" + e.messageId() + " " + e.text()))
                .blockLast(TIMEOUT);

        MessagingSession carol = MessagingClient.create(SwitchFacility.SWITCH).tls(carolEnv)
                .open("127.0.0.1", server.port(), Credentials.certificate()).block(TIMEOUT);
        System.out.println("  carol: " + carol.who().orElseThrow() + " from her certificate "
                + carolEnv.identityCertificate().getSubjectX500Principal());
        CountDownLatch watching = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        AtomicReference<Throwable> why = new AtomicReference<>();
        carol.stream(SwitchFacility.QUEUE_STATUS, 20).subscribe(s -> watching.countDown(), e -> {
            why.set(e);
            ended.countDown();
        }, ended::countDown);
        if (!watching.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("no queue status for carol");
        }
        System.out.println("  carol's queue watch is a subordinate object on the server: " + server.sessions().stream()
                .filter(s -> s.user() != null && s.user().user().equals("carol")).findFirst().orElseThrow().objects());
        System.out.println("  carol clears all facilities -> the server released " + carol.clear(Facility.ALL).block(TIMEOUT)
                + " object(s)");
        if (!ended.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("carol's watch did not end");
        }
        System.out.println("  her watch ended: " + why.get().getMessage());

        try {
            operatorClient.open("127.0.0.1", server.port(), Credentials.password("alice", "wrong".toCharArray())).block(TIMEOUT);
        } catch (SluiceException e) {
            System.out.println("  wrong password -> " + e.getMessage());
        }
        MessagingSession bob = operatorClient.open("127.0.0.1", server.port(), Credentials.password("bob", "hunter2".toCharArray()))
                .block(TIMEOUT);
        try {
            bob.call(SwitchFacility.LIST, "local").block(TIMEOUT);
        } catch (SluiceException e) {
            System.out.println("  bob lists a queue -> " + e.getMessage() + " (his session stays open: authenticated="
                    + bob.authenticated() + ")");
        }
        bob.dispose();
        carol.dispose();
        alice.close().block(TIMEOUT);
        server.disposeNow(TIMEOUT);
        sw.dispose();
    }

    /** Holds the newest message of any queue other than {@code except}, listing again if the router wins a race. */
    private static SwitchFacility.Message holdNewest(MessagingSession session, long except) {
        for (int attempt = 0; attempt < 20; attempt++) {
            for (String q : List.of("x400-out", "smtp-out", "local")) {
                List<SwitchFacility.Message> queued = session.call(SwitchFacility.LIST, q).block(TIMEOUT);
                for (int i = queued.size() - 1; i >= 0; i--) {
                    SwitchFacility.Message m = queued.get(i);
                    if (m.id() != except && !m.held()) {
                        try {
                            return session.call(SwitchFacility.HOLD, m.id()).block(TIMEOUT);
                        } catch (io.sluice.peer.PeerException delivered) {
                            break;
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("no message stayed queued long enough to hold");
    }

    private static SecurityEnvironment environment(Path dir, X509Certificate ca, KeyPair caKeys, String subject, String ip) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ca.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        if (subject != null) {
            KeyPair keys = ec();
            X509Certificate cert = sign(subject, keys, ca.getSubjectX500Principal().getName(), caKeys, false, ip);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("id", keys.getPrivate(), PASSPHRASE, new Certificate[] {cert, ca});
            try (OutputStream out = Files.newOutputStream(dir.resolve("id.p12"))) {
                store.store(out, PASSPHRASE);
            }
        }
        return SecurityEnvironment.fromDirectory(dir, PASSPHRASE);
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(String subject, KeyPair keys, String issuer, KeyPair issuerKeys, boolean ca, String ip)
            throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject), keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ip != null) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.iPAddress, ip)));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
