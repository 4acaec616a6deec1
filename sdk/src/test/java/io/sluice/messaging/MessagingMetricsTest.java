package io.sluice.messaging;

import static io.sluice.messaging.TestFacilities.TEST;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** SASL authentications are counted by mechanism and outcome; sessions by state. */
class MessagingMetricsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void authenticationsAreCountedByMechanismAndOutcome() {
        MeterRegistry registry = new SimpleMeterRegistry();
        LiveMessagingServer server = TestFacilities.server().metrics(registry).bindNow(TIMEOUT);
        try {
            MessagingSession session = MessagingClient.create(TEST).metrics(registry)
                    .open("127.0.0.1", server.port(), Credentials.password("alice", "pencil".toCharArray())).block(TIMEOUT);
            StepVerifier.create(MessagingClient.create(TEST)
                            .open("127.0.0.1", server.port(), Credentials.password("alice", "wrong".toCharArray())))
                    .expectError(io.sluice.messaging.sasl.SaslException.class).verify(TIMEOUT);
            assertThat(registry.get("sluice.sasl.authentications").tags("mechanism", "SCRAM-SHA-256", "outcome", "success")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("sluice.sasl.authentications").tags("mechanism", "SCRAM-SHA-256", "outcome", "failure")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("sluice.messaging.sessions").tags("state", "authenticated").gauge().value()).isEqualTo(1);
            assertThat(registry.get("sluice.peer.calls").tags("direction", "incoming").timers()).isNotEmpty();
            assertThat(registry.get("sluice.peer.calls").tags("direction", "outgoing").timers()).as("the client's calls").isNotEmpty();
            session.dispose();
        } finally {
            server.disposeNow(TIMEOUT);
        }
    }
}
