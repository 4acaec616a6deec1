package io.sluice.soak;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * One protocol's share of the soak: it starts its servers and clients, then does a slice of work
 * on every tick (each {@link #TICK}) until closed. It counts operations that completed, and
 * errors it did not provoke itself (a deliberate cancellation is not an error); it keeps the first
 * few error messages for the report. A tick that finds the previous slices still running past
 * {@link #maxInFlight()} skips its slice and counts that, so a slow system shows as skipped work
 * rather than as a queue that grows. Thread-safe: slices complete on the transports' threads.
 */
abstract class SoakLoad implements AutoCloseable {

    static final Duration TICK = Duration.ofMillis(100);
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int KEPT_ERRORS = 10;

    private final String name;
    private final LongAdder operations = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Set once the ticks stop; from then the operation that brings {@link #inFlight} to zero completes {@link #drained}. */
    private volatile boolean stopping;
    private final Sinks.Empty<Void> drained = Sinks.empty();
    private final Queue<String> firstErrors = new ConcurrentLinkedQueue<>();
    private Disposable ticker;
    private long tick;

    SoakLoad(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** Binds the servers and opens the initial clients; blocks the calling thread (never a loop) until they are up. */
    abstract void start() throws Exception;

    /** The work of one tick: the {@code n}-th since start. Each operation goes through {@link #track}. */
    abstract void slice(long n);

    /** What the server side holds now (sessions, connections). */
    abstract int live();

    /** The server's own counters worth watching (sessions expired, evicted...), by name, the same names every time. */
    java.util.Map<String, Long> counters() {
        return java.util.Map.of();
    }

    /** Operations in flight above which a tick skips its slice. */
    int maxInFlight() {
        return 2_000;
    }

    /** Starts ticking; work runs on the transports' threads, the ticks on Reactor's parallel scheduler. */
    final void run() {
        ticker = Flux.interval(TICK, Schedulers.parallel()).onBackpressureDrop(t -> skipped.increment()).subscribe(t -> {
            if (inFlight.get() > maxInFlight()) {
                skipped.increment();
                return;
            }
            try {
                slice(tick++);
            } catch (RuntimeException e) {
                error(e);
            }
        });
    }

    /** Runs one operation, counting it when it completes and any error it ends in. */
    final void track(Mono<?> operation) {
        inFlight.incrementAndGet();
        operation.timeout(TIMEOUT).doFinally(s -> {
            if (inFlight.decrementAndGet() == 0 && stopping) {
                drained.tryEmitEmpty();
            }
        }).subscribe(v -> { }, this::error, operations::increment);
    }

    final void error(Throwable e) {
        errors.increment();
        if (firstErrors.size() < KEPT_ERRORS) {
            firstErrors.add(name + ": " + e);
        }
    }

    long operations() {
        return operations.sum();
    }

    long errors() {
        return errors.sum();
    }

    long skipped() {
        return skipped.sum();
    }

    List<String> firstErrors() {
        return List.copyOf(firstErrors);
    }

    /**
     * Stops ticking and waits, up to {@code patience}, for the operations still out to end, so that
     * closing the servers does not fail them.
     *
     * @return the operations still out when the wait ended
     */
    final int quiesce(Duration patience) {
        if (ticker != null) {
            ticker.dispose();
        }
        stopping = true;
        if (inFlight.get() > 0) {
            // Completed by the last operation to end (see track); a timeout leaves the count to report.
            drained.asMono().timeout(patience, Mono.empty()).block();
        }
        return inFlight.get();
    }

    /** Stops ticking, then releases what {@link #start} made. */
    @Override
    public final void close() throws Exception {
        if (ticker != null) {
            ticker.dispose();
        }
        stop();
    }

    abstract void stop() throws Exception;
}
