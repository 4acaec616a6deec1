package io.sluice.ice;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * The open ICE connections of one application — what libICE keeps in process globals — for
 * connection sharing ({@link IceConnector#open(String, Object, IceProtocol)}) and watching
 * ({@code IceAddConnectionWatch}). Connectors and listeners use {@link #shared()} unless given
 * another. Thread-safe.
 */
public final class IceConnections {

    /** Watch events kept for a slow watcher before it loses some (counted in {@link #watchDrops()}). */
    public static final int WATCH_BUFFER = 1024;

    private static final IceConnections SHARED = new IceConnections();

    private final Set<IceConnection> open = new LinkedHashSet<>();
    private final List<FluxSink<IceWatchEvent>> watchers = new ArrayList<>();
    private final AtomicLong watchDrops = new AtomicLong();

    private IceConnections() {
    }

    /** @return the application-wide registry */
    public static IceConnections shared() {
        return SHARED;
    }

    /** @return a separate registry (connections in it are shared and watched only among its users) */
    public static IceConnections create() {
        return new IceConnections();
    }

    /**
     * Watches connections: first an opening event for each connection already open (as libICE
     * does for a new watch procedure), then each opening and closing as it happens. Hot, for any
     * number of subscribers; cancel to stop watching ({@code IceRemoveConnectionWatch}). Events
     * are pushed from event loops; a watcher more than {@link #WATCH_BUFFER} behind loses the
     * oldest ones.
     *
     * @return the events
     */
    public Flux<IceWatchEvent> watch() {
        return Flux.<IceWatchEvent>create(sink -> {
            synchronized (this) {
                for (IceConnection c : open) {
                    sink.next(new IceWatchEvent(c, true));
                }
                watchers.add(sink);
            }
            sink.onDispose(() -> {
                synchronized (this) {
                    watchers.remove(sink);
                }
            });
        }).onBackpressureBuffer(WATCH_BUFFER, dropped -> watchDrops.incrementAndGet(),
                reactor.core.publisher.BufferOverflowStrategy.DROP_OLDEST);
    }

    /** @return watch events lost by watchers that fell behind */
    public long watchDrops() {
        return watchDrops.get();
    }

    /** @return the connections open now, in the order they opened */
    public synchronized List<IceConnection> open() {
        return List.copyOf(open);
    }

    synchronized void opened(IceConnection c) {
        if (open.add(c)) {
            for (FluxSink<IceWatchEvent> w : watchers) {
                w.next(new IceWatchEvent(c, true));
            }
        }
    }

    synchronized void closed(IceConnection c) {
        if (open.remove(c)) {
            for (FluxSink<IceWatchEvent> w : watchers) {
                w.next(new IceWatchEvent(c, false));
            }
        }
    }

    /**
     * libICE's sharing rule: an open connection this application originated to the same network
     * ID, whose context is absent or the same as the caller's (an absent caller context shares
     * with anyone), and — when {@code majorOpcodeCheck} is not 0 — on which that opcode is not active.
     */
    synchronized IceConnection shareable(List<String> networkIds, Object context, int majorOpcodeCheck) {
        for (IceConnection c : open) {
            if (c.originator() && c.isOpen() && c.status() == IceConnectStatus.ACCEPTED && networkIds.contains(c.connectionString())
                    && (context == null || c.context() == null || Objects.equals(c.context(), context))
                    && (majorOpcodeCheck == 0 || !c.isActive(majorOpcodeCheck)) && c.retainForSharing()) {
                return c;
            }
        }
        return null;
    }
}
