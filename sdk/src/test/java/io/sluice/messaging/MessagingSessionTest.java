package io.sluice.messaging;

import static io.sluice.messaging.TestFacilities.AUDIT;
import static io.sluice.messaging.TestFacilities.HANG;
import static io.sluice.messaging.TestFacilities.READ_LOG;
import static io.sluice.messaging.TestFacilities.TEST;
import static io.sluice.messaging.TestFacilities.TICKS;
import static io.sluice.messaging.TestFacilities.WHOAMI;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.error.ErrorCode;
import io.sluice.error.SluiceException;
import io.sluice.messaging.sasl.Authenticated;
import io.sluice.messaging.sasl.SaslErrorCode;
import io.sluice.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class MessagingSessionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private LiveMessagingServer server;

    @BeforeEach
    void start() {
        server = TestFacilities.server().anonymous(true).mechanisms("SCRAM-SHA-256", "PLAIN", "CRAM-MD5").bindNow(TIMEOUT);
    }

    @AfterEach
    void stop() {
        server.disposeNow(TIMEOUT);
    }

    private MessagingSession open(MessagingClient client, Credentials credentials) {
        return open(client, credentials, server);
    }

    private static MessagingSession open(MessagingClient client, Credentials credentials, LiveMessagingServer to) {
        return client.open("127.0.0.1", to.port(), credentials).block(TIMEOUT);
    }

    private static Credentials alice() {
        return Credentials.password("alice", "pencil".toCharArray());
    }

    private static void failsWith(Mono<?> mono, ErrorCode code, String... fragments) {
        StepVerifier.create(mono).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(SluiceException.class);
            assertThat(((SluiceException) e).errorCode()).isEqualTo(code);
            if (fragments.length > 0) {
                assertThat(e.getMessage()).contains(fragments);
            }
            assertThat(e.getMessage()).doesNotContain("] [");
        }).verify(TIMEOUT);
    }

    @Test
    void scramIsChosenByDefaultAndTheUserCallsItsFacility() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        assertThat(session.authenticated()).isTrue();
        assertThat(session.who()).contains(new Authenticated("SCRAM-SHA-256", "alice", "alice", false));
        assertThat(session.offeredMechanisms()).containsExactly("SCRAM-SHA-256", "CRAM-MD5", "ANONYMOUS");
        StepVerifier.create(session.call(WHOAMI, "hello")).expectNext("hello alice as alice").verifyComplete();
        session.close().block(TIMEOUT);
        assertThat(session.authenticated()).isFalse();
        failsWith(session.call(WHOAMI, "again"), MessagingErrorCode.CLOSED, "closed");
    }

    @Test
    void aWrongPasswordFailsTheOpenAndLeavesNoSessionBehind() {
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", server.port(), Credentials.password("alice", "wrong".toCharArray())),
                SaslErrorCode.AUTHENTICATION_FAILED);
        Await.until(() -> server.sessions().isEmpty(), TIMEOUT);
    }

    @Test
    void aMechanismTheServerDoesNotOfferIsNamedWithTheOfferedOnes() {
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", server.port(), alice().mechanism("DIGEST-MD5")),
                SaslErrorCode.MECHANISM_NOT_OFFERED, "DIGEST-MD5", "[SCRAM-SHA-256, CRAM-MD5, ANONYMOUS]");
    }

    @Test
    void plainIsRefusedWithoutTlsUnlessExplicitlyAllowed() {
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", server.port(), alice().mechanism("PLAIN")),
                SaslErrorCode.MECHANISM_NOT_OFFERED, "PLAIN is offered only over TLS");
        LiveMessagingServer lax = TestFacilities.server().plaintextWithoutTls(true).bindNow(TIMEOUT);
        try {
            MessagingSession session = MessagingClient.create(TEST).open("127.0.0.1", lax.port(), alice().mechanism("PLAIN"))
                    .block(TIMEOUT);
            assertThat(session.who().orElseThrow().mechanism()).isEqualTo("PLAIN");
            session.dispose();
        } finally {
            lax.disposeNow(TIMEOUT);
        }
    }

    @Test
    void cramMd5RunsOnTheJdksClientAndServer() {
        MessagingSession session = open(MessagingClient.create(TEST), alice().mechanism("CRAM-MD5"));
        assertThat(session.who()).contains(new Authenticated("CRAM-MD5", "alice", "alice", false));
        // bob has no legacy password kept: CRAM-MD5 cannot check him.
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", server.port(),
                Credentials.password("bob", "hunter2".toCharArray()).mechanism("CRAM-MD5")), SaslErrorCode.AUTHENTICATION_FAILED);
        session.dispose();
    }

    @Test
    void anAuthorizedFacilityWorksAndAnUnauthorizedOneFailsWhileTheSessionStaysUsable() {
        MessagingSession session = open(MessagingClient.create(TEST, AUDIT), alice());
        failsWith(session.call(READ_LOG, "today"), MessagingErrorCode.FACILITY_NOT_AUTHORIZED, "user alice", "facility audit");
        assertThat(session.authenticated()).isTrue();
        StepVerifier.create(session.call(WHOAMI, "still")).expectNext("still alice as alice").verifyComplete();
        session.dispose();
    }

    @Test
    void aRoleTheUserMayTakeChangesWhatItIsAuthorizedFor() {
        MessagingSession auditor = open(MessagingClient.create(TEST, AUDIT), alice().role("auditor"));
        assertThat(auditor.who().orElseThrow().role()).isEqualTo("auditor");
        StepVerifier.create(auditor.call(READ_LOG, "x")).expectNext("log for auditor").verifyComplete();
        failsWith(auditor.call(WHOAMI, "x"), MessagingErrorCode.FACILITY_NOT_AUTHORIZED, "acting as auditor");
        auditor.dispose();
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", server.port(), alice().role("root")), SaslErrorCode.NOT_AUTHORIZED);
    }

    @Test
    void aCallOfAFacilityTheSessionWasNotCreatedForIsRefusedLocally() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        failsWith(session.call(READ_LOG, "x"), MessagingErrorCode.FACILITY_NOT_REQUESTED, "[test]");
        session.dispose();
    }

    @Test
    void anonymousAccessWhenAllowedAndRefusedWhenNot() {
        MessagingSession anonymous = open(MessagingClient.create(TEST), Credentials.anonymous());
        assertThat(anonymous.who()).contains(new Authenticated("ANONYMOUS", "anonymous", "anonymous", true));
        StepVerifier.create(anonymous.call(WHOAMI, "hi")).expectNext("hi anonymous as anonymous").verifyComplete();
        anonymous.dispose();
        LiveMessagingServer strict = TestFacilities.server().bindNow(TIMEOUT);
        try {
            failsWith(MessagingClient.create(TEST).open("127.0.0.1", strict.port(), Credentials.anonymous()),
                    SaslErrorCode.MECHANISM_NOT_OFFERED, "ANONYMOUS", "[SCRAM-SHA-256]");
        } finally {
            strict.disposeNow(TIMEOUT);
        }
    }

    @Test
    void reopenWithNewCredentialsAndAFailedReopenLeavesTheSessionUnauthenticatedButUsable() {
        MessagingSession session = open(MessagingClient.create(TEST, AUDIT), alice());
        StepVerifier.create(session.events().take(3))
                .then(() -> {
                    StepVerifier.create(session.reopen(Credentials.password("bob", "hunter2".toCharArray())))
                            .expectNext(new Authenticated("SCRAM-SHA-256", "bob", "bob", false)).verifyComplete();
                    failsWith(session.reopen(Credentials.password("bob", "wrong".toCharArray())), SaslErrorCode.AUTHENTICATION_FAILED);
                    assertThat(session.authenticated()).isFalse();
                    failsWith(session.call(WHOAMI, "x"), MessagingErrorCode.NOT_AUTHENTICATED, "needs an authenticated session");
                    StepVerifier.create(session.reopen(alice().role("auditor"))).expectNextCount(1).verifyComplete();
                })
                .assertNext(e -> assertThat(e).isEqualTo(new MessagingEvent.Reauthenticated(new Authenticated("SCRAM-SHA-256", "bob", "bob", false))))
                .assertNext(e -> assertThat(((MessagingEvent.AuthenticationFailed) e).error().errorCode()).isEqualTo(SaslErrorCode.AUTHENTICATION_FAILED))
                .assertNext(e -> assertThat(((MessagingEvent.Reauthenticated) e).who().role()).isEqualTo("auditor"))
                .verifyComplete();
        StepVerifier.create(session.call(READ_LOG, "x")).expectNext("log for auditor").verifyComplete();
        session.dispose();
    }

    @Test
    void clearEndsAFacilitysCallsOnBothSidesAndLeavesOthersAlone() {
        MessagingSession session = open(MessagingClient.create(TEST, AUDIT), Credentials.password("bob", "hunter2".toCharArray()));
        StepVerifier.create(session.stream(TICKS, 1000L), 3)
                .expectNext(1000L, 1001L, 1002L)
                .then(() -> {
                    Await.until(() -> server.sessions().size() == 1 && server.sessions().get(0).objects().equals(java.util.Map.of("test", 1)), TIMEOUT);
                    StepVerifier.create(session.clear(AUDIT)).expectNext(0).verifyComplete();
                    assertThat(server.sessions().get(0).objects()).containsEntry("test", 1);
                    StepVerifier.create(session.clear(Facility.ALL)).expectNext(1).verifyComplete();
                })
                .expectErrorSatisfies(e -> assertThat(((MessagingException) e).errorCode()).isEqualTo(MessagingErrorCode.CLEARED))
                .verify(TIMEOUT);
        Await.until(() -> server.sessions().get(0).objects().isEmpty(), TIMEOUT);
        StepVerifier.create(session.call(WHOAMI, "after")).expectNext("after bob as bob").verifyComplete();
        session.dispose();
    }

    @Test
    void closeReleasesTheServersObjectsAndEndsCallsInProgress() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        StepVerifier.create(session.call(HANG, "x"))
                .then(() -> {
                    Await.until(() -> !server.sessions().isEmpty() && server.sessions().get(0).objects().equals(java.util.Map.of("test", 1)), TIMEOUT);
                    session.close().block(TIMEOUT);
                })
                .expectErrorSatisfies(e -> assertThat(((MessagingException) e).errorCode()).isEqualTo(MessagingErrorCode.CLOSED))
                .verify(TIMEOUT);
        Await.until(() -> server.sessions().isEmpty(), TIMEOUT);
        StepVerifier.create(session.events()).verifyComplete();
    }

    /**
     * A management session is held open between an operator's commands: neither side closes it
     * for want of calls (the peers underneath close an lwmsg connection after 60 s without one),
     * and keep-alive pings (every 15 s) show both sides are there.
     */
    @Test
    void aSessionWithoutCallsForOverAMinuteStaysOpen() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        StepVerifier.create(session.events()).expectSubscription().expectNoEvent(Duration.ofSeconds(62)).thenCancel().verify(TIMEOUT);
        assertThat(session.authenticated()).isTrue();
        StepVerifier.create(session.call(WHOAMI, "still here")).expectNext("still here alice as alice").verifyComplete();
        session.dispose();
    }

    @Test
    void theServersIdleTimeoutClosesASessionWithoutCalls() {
        LiveMessagingServer strict = TestFacilities.server().idleTimeout(Duration.ofMillis(300)).bindNow(TIMEOUT);
        try {
            MessagingSession session = open(MessagingClient.create(TEST), alice(), strict);
            StepVerifier.create(session.events())
                    .assertNext(e -> assertThat(((MessagingEvent.ConnectionLost) e).error().errorCode()).isEqualTo(MessagingErrorCode.CONNECTION_LOST))
                    .verifyComplete();
            assertThat(session.authenticated()).isFalse();
            Await.until(() -> strict.sessions().isEmpty(), TIMEOUT);
            assertThatThrownBy(() -> TestFacilities.server().idleTimeout(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idle timeout");
        } finally {
            strict.disposeNow(TIMEOUT);
        }
    }

    @Test
    void aLostConnectionClosesTheSessionWithAnEvent() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        StepVerifier.create(session.events())
                .then(() -> server.dispose())
                .assertNext(e -> assertThat(((MessagingEvent.ConnectionLost) e).error().errorCode()).isEqualTo(MessagingErrorCode.CONNECTION_LOST))
                .verifyComplete();
        assertThat(session.authenticated()).isFalse();
        failsWith(session.call(WHOAMI, "x"), MessagingErrorCode.CLOSED);
    }

    @Test
    void aServiceNameTheServerDoesNotServeAndAFacilityItLacksFailTheOpen() {
        failsWith(MessagingClient.create(TEST).service("x400").open("127.0.0.1", server.port(), alice()),
                MessagingErrorCode.SERVICE_NOT_SERVED, "'som', not 'x400'");
        Facility other = Facility.of("other", io.sluice.peer.CallType.unary(200, "other.x", io.sluice.peer.PayloadCodecs.utf8(),
                io.sluice.peer.PayloadCodecs.utf8()));
        failsWith(MessagingClient.create(TEST, other).open("127.0.0.1", server.port(), alice()),
                MessagingErrorCode.UNKNOWN_FACILITY, "[other]", "[audit, test]");
    }

    @Test
    void disposeClearsEveryFacilityOnTheServerThenCloses() {
        MessagingSession session = open(MessagingClient.create(TEST, AUDIT), Credentials.password("bob", "hunter2".toCharArray()));
        StepVerifier events = StepVerifier.create(session.events())
                .assertNext(e -> assertThat(e).isInstanceOfSatisfying(MessagingEvent.Cleared.class, c -> {
                    assertThat(c.facilities()).containsExactly("test", "audit");
                    assertThat(c.released()).isEqualTo(1);
                    assertThat(c.local()).isEqualTo(1);
                }))
                .assertNext(e -> assertThat(e).isInstanceOf(MessagingEvent.Closed.class))
                .expectComplete().verifyLater();
        StepVerifier.create(session.stream(TICKS, 0L), 1)
                .expectNext(0L)
                .then(() -> StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> server.sessions().stream()
                        .anyMatch(info -> !info.objects().isEmpty())).next()).expectNextCount(1).expectComplete().verify(TIMEOUT))
                .then(session::dispose)
                .expectErrorSatisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(MessagingErrorCode.CLEARED))
                .verify(TIMEOUT);
        events.verify(TIMEOUT);
        assertThat(session.isDisposed()).isTrue();
    }

    @Test
    void objectsAHandlerTracksEndWithAClearAReauthenticationAndTheSession() {
        List<reactor.core.Disposable> tracked = new java.util.concurrent.CopyOnWriteArrayList<>();
        LiveMessagingServer tracking = MessagingServer.create().authenticator(TestFacilities.USERS).authorization(TestFacilities.ROLES)
                .facility(FacilityDispatch.of(TEST).handle(WHOAMI, (call, x) -> {
                    tracked.add(call.track(reactor.core.Disposables.single()));
                    return Mono.just("tracking " + tracked.size());
                }))
                .bindNow(TIMEOUT);
        try {
            MessagingSession session = MessagingClient.create(TEST).open("127.0.0.1", tracking.port(), alice()).block(TIMEOUT);
            StepVerifier.create(session.call(WHOAMI, "x")).expectNext("tracking 1").verifyComplete();
            assertThat(tracking.sessions().get(0).objects()).containsEntry("test", 1);
            StepVerifier.create(session.clear(TEST)).expectNext(1).verifyComplete();
            assertThat(tracked.get(0).isDisposed()).isTrue();

            StepVerifier.create(session.call(WHOAMI, "x")).expectNext("tracking 2").verifyComplete();
            StepVerifier.create(session.reopen(Credentials.password("bob", "hunter2".toCharArray()))).expectNextCount(1).verifyComplete();
            StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> tracked.get(1).isDisposed()).next())
                    .as("re-authenticating ends what the old authentication owned").expectNextCount(1).verifyComplete();

            StepVerifier.create(session.call(WHOAMI, "x")).expectNext("tracking 3").verifyComplete();
            reactor.core.Disposable early = tracked.get(2);
            early.dispose(); // disposed by its owner first: forgotten, and not counted by a clear
            assertThat(tracking.sessions().get(0).objects().getOrDefault("test", 0)).isZero();
            StepVerifier.create(session.call(WHOAMI, "x")).expectNext("tracking 4").verifyComplete();
            session.close().block(TIMEOUT);
            StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> tracked.get(3).isDisposed()).next())
                    .as("the session's end ends what it owned").expectNextCount(1).verifyComplete();
        } finally {
            tracking.disposeNow(TIMEOUT);
        }
    }

    @Test
    void aClosedSessionCanBeOpenedAgain() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        session.close().block(TIMEOUT);
        failsWith(session.call(WHOAMI, "x"), MessagingErrorCode.CLOSED);
        StepVerifier.create(session.reopen(Credentials.password("bob", "hunter2".toCharArray())))
                .expectNext(new Authenticated("SCRAM-SHA-256", "bob", "bob", false)).verifyComplete();
        assertThat(session.authenticated()).isTrue();
        StepVerifier.create(session.call(WHOAMI, "again")).expectNext("again bob as bob").verifyComplete();
        StepVerifier.create(session.events().take(1)).then(session::dispose)
                .assertNext(e -> assertThat(e).isInstanceOf(MessagingEvent.Cleared.class)).verifyComplete();
    }

    @Test
    void aSessionMovesToAnotherServerAndAFailedMoveLeavesItWhereItWas() {
        LiveMessagingServer other = TestFacilities.server().bindNow(TIMEOUT);
        try {
            MessagingClient client = MessagingClient.create(TEST);
            MessagingSession session = open(client, alice());
            failsWith(session.reopen(client, "127.0.0.1", other.port(), Credentials.password("alice", "wrong".toCharArray())),
                    SaslErrorCode.AUTHENTICATION_FAILED);
            assertThat(session.port()).isEqualTo(server.port());
            StepVerifier.create(session.call(WHOAMI, "still")).expectNext("still alice as alice").verifyComplete();

            StepVerifier.create(session.reopen(client, "127.0.0.1", other.port(), Credentials.password("bob", "hunter2".toCharArray())))
                    .expectNext(new Authenticated("SCRAM-SHA-256", "bob", "bob", false)).verifyComplete();
            assertThat(session.port()).isEqualTo(other.port());
            assertThat(((java.net.InetSocketAddress) session.remoteAddress()).getPort()).isEqualTo(other.port());
            StepVerifier.create(session.call(WHOAMI, "moved")).expectNext("moved bob as bob").verifyComplete();
            // The old server saw the session log out and leave.
            StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> server.sessions().isEmpty()).next())
                    .expectNextCount(1).expectComplete().verify(TIMEOUT);
            failsWith(session.reopen(MessagingClient.create(AUDIT), "127.0.0.1", other.port(), alice()),
                    MessagingErrorCode.FACILITY_NOT_REQUESTED);
            session.dispose();
        } finally {
            other.disposeNow(TIMEOUT);
        }
    }

    @Test
    void aServerThatNeverAnswersIsATimeout() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            failsWith(MessagingClient.create(TEST).timeout(Duration.ofMillis(300)).open("127.0.0.1", silent.getLocalPort(), alice()),
                    MessagingErrorCode.TIMEOUT, "300 ms");
        }
    }

    @Test
    void repeatedFailedAuthenticationsAreSlowedDownThenCostTheConnection() {
        MessagingSession session = open(MessagingClient.create(TEST), alice());
        Credentials wrong = Credentials.password("alice", "guess".toCharArray());
        long[] took = new long[MessagingServer.MAX_AUTHENTICATION_FAILURES];
        for (int i = 0; i < took.length; i++) {
            long t0 = System.nanoTime();
            failsWith(session.reopen(wrong), SaslErrorCode.AUTHENTICATION_FAILED);
            took[i] = System.nanoTime() - t0;
        }
        // The fourth failure waited 250 ms doubled twice before it was answered.
        assertThat(Duration.ofNanos(took[3])).isGreaterThanOrEqualTo(MessagingServer.FAILURE_BACKOFF.multipliedBy(4));
        // After the last allowed failure the server closed the connection.
        StepVerifier.create(Flux.interval(Duration.ofMillis(10)).filter(i -> session.isDisposed()).next())
                .expectNextCount(1).expectComplete().verify(TIMEOUT);
    }

    @Test
    void nobodyListeningIsAConnectFailure() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        failsWith(MessagingClient.create(TEST).open("127.0.0.1", port, alice()), MessagingErrorCode.CONNECT_FAILED);
    }

    @Test
    void errorNumbersDescribeThemselvesLikeSomError() {
        assertThat(MessagingErrorCode.describe(MessagingErrorCode.FACILITY_NOT_AUTHORIZED.number()))
                .isEqualTo("The authenticated user is not authorized for the facility.");
        assertThat(MessagingErrorCode.describe(SaslErrorCode.AUTHENTICATION_FAILED.number())).isEqualTo("The credentials were not accepted.");
        assertThat(MessagingErrorCode.describe(1)).isEqualTo("unknown error 1");
        assertThat(Credentials.password("alice", "pencil".toCharArray()).toString()).doesNotContain("pencil");
        assertThatThrownBy(() -> MessagingClient.create()).hasMessageContaining("at least one facility");
        assertThatThrownBy(() -> Facility.of("bad", WHOAMI.tag() == 100 ? io.sluice.peer.CallType.unary(5, "x",
                io.sluice.peer.PayloadCodecs.utf8(), io.sluice.peer.PayloadCodecs.utf8()) : WHOAMI))
                .hasMessageContaining("facility tags start at 100");
        List.of(MessagingErrorCode.values()).forEach(c -> assertThat(c.code()).startsWith("messaging."));
    }

    @Test
    void aConnectionThatNeverAuthenticatesIsClosedAfterTheTimeout() {
        LiveMessagingServer strict = TestFacilities.server().authenticationTimeout(Duration.ofMillis(300)).bindNow(TIMEOUT);
        io.sluice.peer.LivePeer raw = io.sluice.peer.Peer.create(SessionProtocol.with(List.of(TEST)))
                .connectTo(io.sluice.peer.PeerEndpoint.tcp(strict.address())).start().block(TIMEOUT);
        try {
            io.sluice.peer.PeerSession idle = raw.connect();
            StepVerifier.create(idle.call(SessionProtocol.HELLO, new SessionProtocol.Hello("som")))
                    .assertNext(h -> assertThat(h.mechanisms()).contains("SCRAM-SHA-256")).verifyComplete();
            assertThat(strict.sessions()).hasSize(1);
            // Keep-alive pings would hold it open forever; the authentication timeout ends it.
            StepVerifier.create(idle.states().filter(s -> s != io.sluice.peer.PeerSession.State.ESTABLISHED).next())
                    .expectNextMatches(s -> s == io.sluice.peer.PeerSession.State.IDLE || s == io.sluice.peer.PeerSession.State.CLOSED)
                    .verifyComplete();
            Await.until(() -> strict.sessions().isEmpty(), TIMEOUT);
            // An authenticated session outlives the timeout.
            MessagingSession session = MessagingClient.create(TEST).open("127.0.0.1", strict.port(), alice()).block(TIMEOUT);
            StepVerifier.create(session.events()).expectSubscription().expectNoEvent(Duration.ofMillis(600)).thenCancel().verify(TIMEOUT);
            assertThat(session.authenticated()).isTrue();
            session.dispose();
        } finally {
            raw.dispose();
            strict.disposeNow(TIMEOUT);
        }
    }
}
