package io.sluice.ice;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.wiretap.CapturedLog;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** ICE connections, messages and pings in the meters; each message's opcode and length in the wiretap. */
class IceMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final IceConnections registry = IceConnections.create();
    private final MeterRegistry meters = new SimpleMeterRegistry();
    private LiveIceListener listener;

    @AfterEach
    void close() {
        if (listener != null) {
            listener.dispose();
        }
        for (IceConnection c : registry.open()) {
            c.dispose();
        }
    }

    @Test
    void connectionsMessagesAndPingsAreCountedByRoleAndTheWiretapShowsOpcodes() {
        String log = CapturedLog.during(() -> {
            listener = IceListener.create().registry(registry).tcp("127.0.0.1", 0).hostBasedAuth(host -> host.equals("tcp/127.0.0.1")).metrics(meters)
                    .wiretap("sluice.test.wiretap.ice", Level.DEBUG).bind().block(WAIT);
            Mono<IceConnection> accepted = listener.accept().cache();
            accepted.subscribe();
            IceConnection client = IceConnector.create().registry(registry).authority(IceAuthority.empty()).metrics(meters)
                    .open(listener.listenNetworkIds().get(0)).block(WAIT);
            accepted.block(WAIT);
            StepVerifier.create(client.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
        });
        assertThat(meters.get("sluice.ice.connections").tags("role", "accepting").gauge().value()).isEqualTo(1);
        assertThat(meters.get("sluice.ice.connections").tags("role", "originating").gauge().value()).isEqualTo(1);
        assertThat(meters.get("sluice.ice.pings").tags("role", "originating", "direction", "sent").counter().count()).isEqualTo(1);
        assertThat(meters.get("sluice.ice.pings").tags("role", "accepting", "direction", "answered").counter().count()).isEqualTo(1);
        assertThat(meters.get("sluice.ice.messages.received").tags("role", "accepting").counter().count()).isGreaterThanOrEqualTo(3);
        assertThat(meters.get("sluice.ice.drops").tags("reason", "refused").functionCounter().count()).isZero();
        assertThat(log).contains("sluice.test.wiretap.ice").contains("] IN ConnectionSetup (opcode 0/2,")
                .contains("] OUT ConnectionReply (opcode 0/6,").contains("] IN Ping (opcode 0/9, 8 bytes)")
                .contains("+-------------------------------------------------+");
    }
}
