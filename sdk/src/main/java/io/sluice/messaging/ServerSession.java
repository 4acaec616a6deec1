package io.sluice.messaging;

import io.sluice.messaging.sasl.Authenticated;
import io.sluice.messaging.sasl.SaslServerExchange;
import io.sluice.peer.PeerSession;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.Disposable;

/**
 * The server's state of one session: the TLS facts, the SASL exchange in progress, who
 * authenticated, and the subordinate objects by facility. Thread-safe: calls of one session may be
 * served concurrently.
 */
final class ServerSession {

    final PeerSession peer;
    volatile List<String> offered;
    volatile boolean tls;
    volatile X509Certificate clientCertificate;
    volatile SaslServerExchange exchange;
    volatile Authenticated who;
    volatile boolean everAuthenticated;
    /** Failed authentications on this connection, for the server's back-off and limit. */
    final java.util.concurrent.atomic.AtomicInteger failedAuthentications = new java.util.concurrent.atomic.AtomicInteger();
    private final Map<Facility, Set<Disposable>> objects = new ConcurrentHashMap<>();

    ServerSession(PeerSession peer) {
        this.peer = peer;
    }

    Disposable track(Facility facility, Disposable object) {
        Set<Disposable> set = objects.computeIfAbsent(facility, f -> ConcurrentHashMap.newKeySet());
        set.add(object);
        // Cleared between the lookup and the add: the object must not outlive the clear.
        if (objects.get(facility) != set) {
            set.remove(object);
            object.dispose();
        }
        return object;
    }

    void forget(Facility facility, Disposable object) {
        Set<Disposable> set = objects.get(facility);
        if (set != null) {
            set.remove(object);
        }
    }

    /** Disposes the objects of {@code facilities}; returns how many were still live. */
    int release(Collection<Facility> facilities) {
        int count = 0;
        for (Facility f : facilities) {
            Set<Disposable> set = objects.remove(f);
            if (set == null) {
                continue;
            }
            for (Disposable d : set) {
                if (!d.isDisposed()) {
                    count++;
                    d.dispose();
                }
            }
        }
        return count;
    }

    int releaseAll() {
        return release(List.copyOf(objects.keySet()));
    }

    ServerSessionInfo info() {
        Map<String, Integer> counts = new HashMap<>();
        objects.forEach((f, set) -> {
            long live = set.stream().filter(d -> !d.isDisposed()).count();
            if (live > 0) {
                counts.put(f.name(), (int) live);
            }
        });
        return new ServerSessionInfo(peer.remoteAddress(), tls, who, counts);
    }
}
