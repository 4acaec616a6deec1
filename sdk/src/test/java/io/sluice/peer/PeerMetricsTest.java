package io.sluice.peer;

import static io.sluice.peer.TestProtocol.ECHO;
import static io.sluice.peer.TestProtocol.FAIL;
import static io.sluice.peer.TestProtocol.PROTOCOL;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Peer calls are timed by direction, call type and status on both sides; connections show by side. */
class PeerMetricsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void callsAreTimedOnBothSidesByTypeAndStatusAndConnectionsShowBySide() {
        MeterRegistry registry = new SimpleMeterRegistry();
        LivePeer server = Peer.create(PROTOCOL).metrics(registry)
                .dispatch(Dispatch.create()
                        .handle(ECHO, (call, text) -> Mono.just(text))
                        .handle(FAIL, (call, text) -> Mono.error(new IllegalStateException("no"))))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)).start().block(TIMEOUT);
        LivePeer client = Peer.create(PROTOCOL).metrics(registry)
                .connectTo(PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0))).start().block(TIMEOUT);
        try {
            PeerSession session = client.connect();
            for (int i = 0; i < 3; i++) {
                StepVerifier.create(session.call(ECHO, "hi " + i)).expectNext("hi " + i).expectComplete().verify(TIMEOUT);
            }
            StepVerifier.create(session.call(FAIL, "x")).expectError(PeerException.class).verify(TIMEOUT);

            assertThat(registry.get("sluice.peer.calls").tags("direction", "outgoing", "type", "echo", "status", "OK").timer().count())
                    .isEqualTo(3);
            assertThat(registry.get("sluice.peer.calls").tags("direction", "incoming", "type", "echo", "status", "OK").timer().count())
                    .isEqualTo(3);
            assertThat(registry.get("sluice.peer.calls").tags("direction", "outgoing", "type", "fail", "status", "HANDLER_FAILED")
                    .timer().count()).isEqualTo(1);
            assertThat(registry.get("sluice.peer.connections").tags("side", "accepted").gauge().value()).isEqualTo(1);
            assertThat(registry.get("sluice.peer.connections").tags("side", "client").gauge().value()).isEqualTo(1);
        } finally {
            client.disposeNow(TIMEOUT);
            server.disposeNow(TIMEOUT);
        }
    }
}
