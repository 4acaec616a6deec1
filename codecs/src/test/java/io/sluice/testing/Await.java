package io.sluice.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Flux;

/**
 * Waits for a condition that has no signal of its own (a counter of datagrams received, of
 * handshakes completed), checking every 2 ms and failing after a timeout. Anything that does
 * signal should be awaited with {@code StepVerifier} or a latch instead.
 */
public final class Await {

    private Await() {
    }

    /**
     * Returns once {@code condition} holds.
     *
     * @param condition what to wait for
     * @param timeout how long at most
     * @throws IllegalStateException if the timeout passes first
     */
    public static void until(BooleanSupplier condition, Duration timeout) {
        Flux.interval(Duration.ofMillis(2))
                .filter(i -> condition.getAsBoolean())
                .next()
                .timeout(timeout)
                .block();
    }
}
