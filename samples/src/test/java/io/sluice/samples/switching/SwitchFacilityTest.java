package io.sluice.samples.switching;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.messaging.Credentials;
import io.sluice.messaging.FacilityAuthorization;
import io.sluice.messaging.LiveMessagingServer;
import io.sluice.messaging.MessagingClient;
import io.sluice.messaging.MessagingServer;
import io.sluice.messaging.MessagingSession;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.PeerException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The sample switch facility end to end: a management client against a messaging server on loopback. */
class SwitchFacilityTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Served served;
    private MessagingSession session;

    /** A switch behind a messaging server and an operator's session to it. */
    private record Served(MessageSwitch sw, LiveMessagingServer server, MessagingSession session) implements AutoCloseable {
        @Override
        public void close() {
            session.dispose();
            server.disposeNow(TIMEOUT);
            sw.dispose();
        }
    }

    /** @param tick how often the switch's router moves messages; an hour keeps it still within a test */
    private static Served serve(Duration tick) {
        MessageSwitch sw = new MessageSwitch(tick, 1);
        LiveMessagingServer server = MessagingServer.create()
                .authenticator(Authenticator.of(List.of(new Account("op", ScramCredential.fromPassword("pw".toCharArray(), 4096),
                        Set.of(), null)), Map.of()))
                .authorization(FacilityAuthorization.byRole(Map.of("op", Set.of("switch"))))
                .facility(sw.dispatch())
                .bindNow(TIMEOUT);
        MessagingSession session = MessagingClient.create(SwitchFacility.SWITCH)
                .open("127.0.0.1", server.port(), Credentials.password("op", "pw".toCharArray())).block(TIMEOUT);
        return new Served(sw, server, session);
    }

    @BeforeEach
    void start() {
        served = serve(Duration.ofMillis(5));
        session = served.session();
    }

    @AfterEach
    void stop() {
        served.close();
    }

    @Test
    void aSlowQueueWatcherGetsTheLatestSnapshotNotABacklog() {
        // Snapshots every 10 ms; the watcher asks for one at a time with pauses of 200 ms (virtual
        // demand, not sleeps): the sequence numbers it sees jump, proving the server dropped stale ones.
        List<SwitchFacility.Snapshot> seen = new java.util.ArrayList<>();
        StepVerifier.create(session.stream(SwitchFacility.QUEUE_STATUS, 10), 1)
                .consumeNextWith(seen::add)
                .expectNoEvent(Duration.ofMillis(200))
                .thenRequest(1)
                .consumeNextWith(seen::add)
                .expectNoEvent(Duration.ofMillis(200))
                .thenRequest(1)
                .consumeNextWith(seen::add)
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(seen.get(0).queues()).extracting(SwitchFacility.QueueStatus::queue).containsExactly("x400-out", "smtp-out", "local");
        assertThat(seen.get(2).sequence() - seen.get(1).sequence()).isGreaterThan(2);
    }

    @Test
    void holdReleaseAndDeleteAMessageAndSeeThemInTheEventLog() {
        // A still switch: with the router running, a message could be delivered between the test's
        // LIST and its HOLD, or between RELEASE and the next HOLD (as a CI run once saw).
        try (Served still = serve(Duration.ofHours(1))) {
            holdReleaseAndDelete(still.session());
        }
    }

    private static void holdReleaseAndDelete(MessagingSession session) {
        List<SwitchFacility.Message> queued = List.of();
        String queue = null;
        for (String q : List.of("x400-out", "smtp-out", "local")) {
            queued = session.call(SwitchFacility.LIST, q).block(TIMEOUT);
            if (!queued.isEmpty()) {
                queue = q;
                break;
            }
        }
        assertThat(queued).isNotEmpty();
        long id = queued.get(queued.size() - 1).id();
        StepVerifier.create(session.call(SwitchFacility.HOLD, id)).assertNext(m -> assertThat(m.held()).isTrue()).verifyComplete();
        assertThat(session.call(SwitchFacility.LIST, queue).block(TIMEOUT)).filteredOn(m -> m.id() == id)
                .singleElement().satisfies(m -> assertThat(m.held()).isTrue());
        StepVerifier.create(session.call(SwitchFacility.RELEASE, id)).assertNext(m -> assertThat(m.held()).isFalse()).verifyComplete();
        session.call(SwitchFacility.HOLD, id).block(TIMEOUT);
        StepVerifier.create(session.call(SwitchFacility.DELETE, id)).expectNextCount(1).verifyComplete();
        StepVerifier.create(session.call(SwitchFacility.DELETE, id))
                .expectErrorSatisfies(e -> {
                    assertThat(((PeerException) e).wireStatus()).isEqualTo(SwitchFacility.NO_SUCH_MESSAGE);
                    assertThat(((PeerException) e).detail()).isEqualTo("no message " + id + " is queued");
                })
                .verify(TIMEOUT);
        StepVerifier.create(session.stream(SwitchFacility.EVENT_LOG, 256).filter(e -> e.messageId() == id && !e.kind().equals("arrived"))
                        .map(SwitchFacility.Event::kind).take(4))
                .expectNext("held", "released", "held", "deleted")
                .verifyComplete();
        StepVerifier.create(session.call(SwitchFacility.LIST, "nowhere"))
                .expectErrorSatisfies(e -> assertThat(((PeerException) e).wireStatus()).isEqualTo(SwitchFacility.NO_SUCH_QUEUE))
                .verify(TIMEOUT);
    }

    @Test
    void theEventLogReplaysTheLastEntriesThenGoesLive() {
        // A switch whose router does not run within the test: its only events are the six arrivals it
        // starts with (1 to 6) and what the test does, so what is replay and what is live is known.
        Served quiet = serve(Duration.ofHours(1));
        MessageSwitch still = quiet.sw();
        MessagingSession client = quiet.session();
        try {
            long someMessage = still.list("x400-out").isEmpty() ? still.list("smtp-out").isEmpty()
                    ? still.list("local").get(0).id() : still.list("smtp-out").get(0).id() : still.list("x400-out").get(0).id();
            StepVerifier.create(client.stream(SwitchFacility.EVENT_LOG, 3))
                    .assertNext(e -> assertThat(e).extracting(SwitchFacility.Event::sequence, SwitchFacility.Event::kind)
                            .containsExactly(4L, "arrived"))
                    .assertNext(e -> assertThat(e.sequence()).isEqualTo(5L))
                    .assertNext(e -> assertThat(e.sequence()).isEqualTo(6L))
                    .then(() -> client.call(SwitchFacility.HOLD, someMessage).block(TIMEOUT))
                    .assertNext(e -> {
                        assertThat(e.sequence()).isEqualTo(7L);
                        assertThat(e.kind()).isEqualTo("held");
                        assertThat(e.messageId()).isEqualTo(someMessage);
                    })
                    .thenCancel()
                    .verify(TIMEOUT);
        } finally {
            quiet.close();
        }
    }
}
