package io.sluice.coap;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What servers said in a Release's Hold-Off option (RFC 8323 §5.5): not to reconnect before a
 * time. Clients of this JVM honour it by refusing to connect early. Bounded: the oldest entries
 * go first, and expired ones are dropped as new ones come. Thread-safe.
 */
final class HoldOff {

    private static final int MAX_ENTRIES = 1024;
    private static final Map<InetSocketAddress, Long> UNTIL = new LinkedHashMap<>();

    private HoldOff() {
    }

    static synchronized void remember(InetSocketAddress server, long seconds) {
        long now = System.nanoTime();
        UNTIL.values().removeIf(until -> until - now <= 0);
        if (UNTIL.size() >= MAX_ENTRIES) {
            UNTIL.remove(UNTIL.keySet().iterator().next());
        }
        UNTIL.put(server, now + TimeUnit.SECONDS.toNanos(seconds));
    }

    /** @return how many milliseconds are left before {@code server} may be connected to again, or 0 */
    static synchronized long remainingMillis(InetSocketAddress server) {
        Long until = UNTIL.get(server);
        if (until == null) {
            return 0;
        }
        long left = until - System.nanoTime();
        if (left <= 0) {
            UNTIL.remove(server);
            return 0;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(left));
    }
}
