package io.sluice.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.error.ErrorCode;
import io.sluice.error.SluiceException;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticated;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.SaslErrorCode;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.CallType;
import io.sluice.peer.PayloadCodecs;
import io.sluice.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Messaging sessions over TLS with security environments as SOM lays them out (ca.pem, id.p12):
 * SCRAM and PLAIN over a verified server, EXTERNAL from a client certificate, and each way TLS
 * must fail: expired, untrusted, wrong host name. Both ends run the JDK's TLS.
 */
class MessagingTlsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final CallType<String, String> WHOAMI = CallType.unary(100, "ops.whoami", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final Facility OPS = Facility.of("ops", WHOAMI);

    @TempDir
    static Path dir;
    static MessagingPki ca;
    static MessagingPki rogue;
    static SecurityEnvironment serverEnv;
    static SecurityEnvironment clientEnv;

    private LiveMessagingServer server;

    @BeforeAll
    static void pki() throws Exception {
        ca = new MessagingPki("Switch CA");
        rogue = new MessagingPki("Rogue CA");
        serverEnv = SecurityEnvironment.fromDirectory(ca.environment(dir.resolve("server"), "CN=switch", "127.0.0.1"), MessagingPki.PASSPHRASE);
        clientEnv = SecurityEnvironment.fromDirectory(ca.environment(dir.resolve("client"), null, null), null);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.disposeNow(TIMEOUT);
        }
    }

    private static MessagingServer spec(SecurityEnvironment tls) {
        return MessagingServer.create().tls(tls)
                .authenticator(Authenticator.of(List.of(new Account("alice", ScramCredential.fromPassword("pencil".toCharArray(), 4096),
                        Set.of(), null)), Map.of("CN=carol", "carol")))
                .authorization(FacilityAuthorization.byRole(Map.of("alice", Set.of("ops"), "carol", Set.of("ops"))))
                .facility(FacilityDispatch.of(OPS).handle(WHOAMI, (call, x) -> Mono.just(call.user().user() + " by " + call.user().mechanism())));
    }

    private int serve(SecurityEnvironment tls) {
        server = spec(tls).bindNow(TIMEOUT);
        return server.port();
    }

    private static SecurityEnvironment env(String name, MessagingPki issuer, String subject, String ip, Instant notBefore,
                                           Duration validity) throws Exception {
        return SecurityEnvironment.fromDirectory(issuer.environment(dir.resolve(name), subject, ip, notBefore, validity),
                MessagingPki.PASSPHRASE);
    }

    private static Credentials alice() {
        return Credentials.password("alice", "pencil".toCharArray());
    }

    private static void failsWith(Mono<?> mono, ErrorCode code, String... fragments) {
        StepVerifier.create(mono).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(SluiceException.class);
            assertThat(((SluiceException) e).errorCode()).as(e.toString()).isEqualTo(code);
            for (String f : fragments) {
                assertThat(e.getMessage()).contains(f);
            }
        }).verify(TIMEOUT);
    }

    @Test
    void scramAndPlainOverAVerifiedServer() {
        int port = serve(serverEnv);
        MessagingSession session = MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", port, alice()).block(TIMEOUT);
        assertThat(session.who()).contains(new Authenticated("SCRAM-SHA-256", "alice", "alice", false));
        assertThat(session.tlsSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
        // Over TLS the server offers PLAIN; without a client certificate it does not offer EXTERNAL.
        assertThat(session.offeredMechanisms()).containsExactly("SCRAM-SHA-256", "PLAIN");
        StepVerifier.create(session.call(WHOAMI, "")).expectNext("alice by SCRAM-SHA-256").verifyComplete();
        session.close().block(TIMEOUT);

        MessagingSession plain = MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", port, alice().mechanism("PLAIN")).block(TIMEOUT);
        StepVerifier.create(plain.call(WHOAMI, "")).expectNext("alice by PLAIN").verifyComplete();
        plain.dispose();
        assertThat(server.sessions()).allSatisfy(s -> assertThat(s.tls()).isTrue());
    }

    @Test
    void externalTakesTheIdentityFromTheVerifiedClientCertificate() throws Exception {
        int port = serve(serverEnv);
        SecurityEnvironment carol = env("carol", ca, "CN=carol", null, Instant.now().minusSeconds(60), Duration.ofDays(1));
        MessagingSession session = MessagingClient.create(OPS).tls(carol).open("127.0.0.1", port, Credentials.certificate()).block(TIMEOUT);
        assertThat(session.who()).contains(new Authenticated("EXTERNAL", "carol", "carol", false));
        assertThat(session.offeredMechanisms()).contains("EXTERNAL");
        StepVerifier.create(session.call(WHOAMI, "")).expectNext("carol by EXTERNAL").verifyComplete();
        session.dispose();

        failsWith(MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", port, Credentials.certificate()),
                SaslErrorCode.MECHANISM_NOT_OFFERED, "EXTERNAL needs TLS with a client identity");
        // A certificate the server trusts but maps to no user.
        SecurityEnvironment dave = env("dave", ca, "CN=dave", null, Instant.now().minusSeconds(60), Duration.ofDays(1));
        failsWith(MessagingClient.create(OPS).tls(dave).open("127.0.0.1", port, Credentials.certificate()),
                SaslErrorCode.AUTHENTICATION_FAILED, "CN=dave stands for no user");
    }

    @Test
    void anExpiredClientCertificateIsRefusedAndLeavesNoSession() throws Exception {
        int port = serve(serverEnv);
        SecurityEnvironment expired = env("expired-carol", ca, "CN=carol", null, Instant.now().minus(Duration.ofDays(3)), Duration.ofDays(1));
        failsWith(MessagingClient.create(OPS).tls(expired).open("127.0.0.1", port, Credentials.certificate()),
                MessagingErrorCode.TLS_FAILED);
        Await.until(() -> server.sessions().isEmpty(), TIMEOUT);
        // The server is unharmed.
        MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", port, alice()).block(TIMEOUT).dispose();
    }

    @Test
    void aClientCertificateFromAnUntrustedCaIsNeverPresentedSoExternalIsNotOffered() throws Exception {
        int port = serve(serverEnv);
        Path mallory = rogue.environment(dir.resolve("mallory"), "CN=carol", null);
        java.nio.file.Files.copy(dir.resolve("client/ca.pem"), mallory.resolve("ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SecurityEnvironment env = SecurityEnvironment.fromDirectory(mallory, MessagingPki.PASSPHRASE);
        // The server names the CAs it trusts; the JDK's client has no certificate from them and sends none,
        // so the connection has no client identity and EXTERNAL is not offered.
        failsWith(MessagingClient.create(OPS).tls(env).open("127.0.0.1", port, Credentials.certificate()),
                SaslErrorCode.MECHANISM_NOT_OFFERED, "EXTERNAL needs TLS with a client identity the server trusts", "[SCRAM-SHA-256, PLAIN]");
        MessagingSession withPassword = MessagingClient.create(OPS).tls(env).open("127.0.0.1", port, alice()).block(TIMEOUT);
        assertThat(withPassword.who().orElseThrow().user()).isEqualTo("alice");
        withPassword.dispose();
    }

    @Test
    void anUntrustedExpiredOrMisnamedServerIsRefused() throws Exception {
        int untrusted = serve(env("rogue-server", rogue, "CN=switch", "127.0.0.1", Instant.now().minusSeconds(60), Duration.ofDays(1)));
        failsWith(MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", untrusted, alice()), MessagingErrorCode.TLS_FAILED,
                "certification path");
        // Without verification the same server is believed (and a warning is logged).
        MessagingSession blind = MessagingClient.create(OPS).tlsWithoutVerification().open("127.0.0.1", untrusted, alice()).block(TIMEOUT);
        assertThat(blind.authenticated()).isTrue();
        blind.dispose();
        server.disposeNow(TIMEOUT);

        int expired = serve(env("expired-server", ca, "CN=switch", "127.0.0.1", Instant.now().minus(Duration.ofDays(3)), Duration.ofDays(1)));
        failsWith(MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", expired, alice()), MessagingErrorCode.TLS_FAILED);
        server.disposeNow(TIMEOUT);

        int misnamed = serve(env("misnamed-server", ca, "CN=switch", "127.0.0.2", Instant.now().minusSeconds(60), Duration.ofDays(1)));
        failsWith(MessagingClient.create(OPS).tls(clientEnv).open("127.0.0.1", misnamed, alice()), MessagingErrorCode.TLS_FAILED,
                "127.0.0.1");
    }

    @Test
    void aClientWithoutTlsAgainstATlsServerFailsClearly() {
        int port = serve(serverEnv);
        StepVerifier.create(MessagingClient.create(OPS).timeout(Duration.ofSeconds(5)).open("127.0.0.1", port, alice()))
                .expectErrorSatisfies(e -> assertThat(((SluiceException) e).errorCode()).isIn(MessagingErrorCode.CONNECTION_LOST,
                        MessagingErrorCode.CONNECT_FAILED, MessagingErrorCode.PROTOCOL, MessagingErrorCode.TIMEOUT))
                .verify(TIMEOUT);
    }

    @Test
    void environmentsAreCheckedWhenRead() throws Exception {
        Path wrong = ca.environment(dir.resolve("wrong-pass"), "CN=carol", null);
        assertThatThrownBy(() -> SecurityEnvironment.fromDirectory(wrong, "nope".toCharArray()))
                .isInstanceOf(MessagingException.class).hasMessageContaining("wrong passphrase");
        assertThatThrownBy(() -> SecurityEnvironment.fromDirectory(dir.resolve("missing"), null))
                .hasMessageContaining("is not a directory");
        SecurityEnvironment idOnly = SecurityEnvironment.fromDirectory(ca.identityOnly(dir.resolve("id-only"), "CN=carol"),
                MessagingPki.PASSPHRASE);
        assertThat(idOnly.verifiesPeer()).isFalse();
        assertThat(idOnly.hasIdentity()).isTrue();
        assertThatThrownBy(() -> MessagingServer.create().tls(clientEnv)).hasMessageContaining("no id.p12");
    }
}
