package io.sluice.tck;

import io.sluice.codec.ice.IceVersion;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceConnections;
import io.sluice.ice.IceConnector;
import io.sluice.ice.IceListener;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.LiveIceListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import reactor.core.publisher.Mono;

/**
 * Real ICE endpoints for the ICE verifications: listeners on UNIX sockets in one temporary
 * directory, connectors that open fresh (unshared) connections to them, all in one registry of
 * their own, and one cleanup that closes whatever a test left open. Host-based acceptance, so no
 * .ICEauthority file is read.
 */
final class IceTckFixture implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(20);

    private final Path dir;
    private final AtomicInteger sockets = new AtomicInteger();
    private final IceConnections registry = IceConnections.create();
    private final List<LiveIceListener> listeners = new ArrayList<>();

    IceTckFixture() {
        try {
            dir = Files.createTempDirectory("sluice-ice-tck");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return a protocol every host may set up */
    static IceProtocol protocol(String name) {
        return IceProtocol.of(name, "Sluice", "0.1", new IceVersion(1, 0)).withHostBasedAuth(host -> true);
    }

    IceConnections registry() {
        return registry;
    }

    /** @return a bound listener on a new UNIX socket, accepting every host, for {@code protocols} */
    synchronized LiveIceListener listen(IceProtocol... protocols) {
        LiveIceListener listener = IceListener.create().registry(registry).unix(dir.resolve("tck" + sockets.incrementAndGet() + ".sock"))
                .hostBasedAuth(host -> true).protocols(protocols).bind().block(WAIT);
        listeners.add(listener);
        return listener;
    }

    /** @return a connection of its own (never shared) to {@code listener} */
    Mono<IceConnection> open(LiveIceListener listener, IceProtocol... protocols) {
        return IceConnector.create().registry(registry).authority(IceAuthority.empty()).protocols(protocols)
                .open(listener.listenNetworkIds().get(0), new Object(), null);
    }

    /** Closes the connections a test left behind, without negotiation. */
    void closeConnections() {
        registry.open().forEach(IceConnection::dispose);
    }

    /** Closes the connections and listeners a test left behind. */
    synchronized void closeAll() {
        closeConnections();
        listeners.forEach(LiveIceListener::dispose);
        listeners.clear();
    }

    @Override
    public void close() {
        closeAll();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
