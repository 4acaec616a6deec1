package io.sluice.soak;

import io.sluice.ice.IceCloseStatus;
import io.sluice.ice.IceConnections;
import io.sluice.ice.IceConnector;
import io.sluice.ice.IceListener;
import io.sluice.ice.LiveIceListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * ICE connections over a UNIX socket: five times a second a new connection opens (ByteOrder,
 * connection setup, host-based authentication), pings three times a second apart, and closes with
 * shutdown negotiation. A failed step, or a close that does not end the connection, is an error.
 */
final class IceLoad extends SoakLoad {

    private final IceConnections accepted = IceConnections.create();
    private Path dir;
    private LiveIceListener listener;
    private Disposable accepting;
    private String networkId;

    IceLoad() {
        super("ICE");
    }

    @Override
    void start() throws Exception {
        dir = Files.createTempDirectory("sluice-soak-ice");
        listener = IceListener.create().unix(dir.resolve("ice.sock")).hostBasedAuth(host -> true).registry(accepted)
                .bind().block(TIMEOUT);
        // The serving side does not hold what it accepts (libICE's open count stays at zero), so a
        // peer's WantToClose ends the connection: it closes its own hold at once, and the peer, which
        // still holds the connection, answers NoClose.
        accepting = listener.connections().flatMap(c -> c.close().doOnNext(status -> {
            if (status != IceCloseStatus.PEER_IN_USE && status != IceCloseStatus.CLOSED_NOW) {
                error(new IllegalStateException("releasing an accepted connection said " + status));
            }
        })).subscribe(status -> { }, this::error);
        networkId = listener.listenNetworkIds().get(0);
    }

    @Override
    void slice(long n) {
        if (n % 2 != 0) {
            return;
        }
        // A registry per connection: the connector would otherwise share one open connection, as libICE does.
        track(IceConnector.create().registry(IceConnections.create()).open(networkId)
                .flatMap(c -> c.ping().then(Mono.delay(Duration.ofSeconds(1))).repeat(2).then(c.close()))
                .doOnNext(status -> {
                    if (status != IceCloseStatus.CLOSED_NOW) {
                        throw new IllegalStateException("closing an unused connection said " + status);
                    }
                }));
    }

    @Override
    int live() {
        return accepted.open().size();
    }

    @Override
    java.util.Map<String, Long> counters() {
        java.util.Map<String, Long> c = new java.util.LinkedHashMap<>();
        c.put("refused", listener.refused());
        c.put("rejected", listener.rejected());
        return c;
    }

    @Override
    void stop() throws Exception {
        accepting.dispose();
        listener.dispose();
        Files.deleteIfExists(dir.resolve("ice.sock"));
        Files.deleteIfExists(dir);
    }
}
