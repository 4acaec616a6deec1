package io.sluice.samples.switching;

import io.sluice.event.EventStream;
import io.sluice.messaging.FacilityDispatch;
import io.sluice.peer.PeerException;
import io.sluice.samples.switching.SwitchFacility.Event;
import io.sluice.samples.switching.SwitchFacility.Message;
import io.sluice.samples.switching.SwitchFacility.QueueStatus;
import io.sluice.samples.switching.SwitchFacility.Snapshot;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * A small in-memory message switch for the sample: queues that messages arrive in and are
 * delivered from on a timer, operations to hold, release and delete them, and an event log. It
 * serves the {@link SwitchFacility} through {@link #dispatch()}.
 *
 * <p>Thread-safe: state changes under the switch's monitor, in short sections that never block;
 * handlers run on event loops.
 */
public final class MessageSwitch implements Disposable {

    private static final int LOG_KEPT = 256;

    private final Map<String, ArrayDeque<Message>> queues = new LinkedHashMap<>();
    private final Map<Long, Long> arrivals = new LinkedHashMap<>();
    private final ArrayDeque<Event> recent = new ArrayDeque<>();
    private final EventStream<Event> log = EventStream.create(LOG_KEPT);
    private final Random random;
    private final Disposable router;
    private long nextId = 1;
    private long nextEvent = 1;
    private long snapshots;

    /**
     * A switch with queues {@code x400-out}, {@code smtp-out} and {@code local}, routing every
     * {@code tick}: a message arrives, and the oldest unheld message of some queue is delivered.
     *
     * @param tick how often the router runs
     * @param seed makes the traffic repeatable
     */
    public MessageSwitch(Duration tick, long seed) {
        this.random = new Random(seed);
        for (String q : List.of("x400-out", "smtp-out", "local")) {
            queues.put(q, new ArrayDeque<>());
        }
        for (int i = 0; i < 6; i++) {
            arrive();
        }
        router = Flux.interval(tick, Schedulers.parallel()).subscribe(i -> route());
    }

    private synchronized void route() {
        arrive();
        if (random.nextInt(3) > 0) {
            List<String> names = new ArrayList<>(queues.keySet());
            ArrayDeque<Message> q = queues.get(names.get(random.nextInt(names.size())));
            Message next = q.stream().filter(m -> !m.held()).findFirst().orElse(null);
            if (next != null) {
                q.remove(next);
                arrivals.remove(next.id());
                record("delivered", next.id(), "to " + next.recipient());
            }
        }
    }

    private void arrive() {
        List<String> names = new ArrayList<>(queues.keySet());
        String queue = names.get(random.nextInt(names.size()));
        String[] people = {"alice", "bob", "carol", "dave", "erin"};
        Message m = new Message(nextId++, queue, people[random.nextInt(people.length)] + "@example.org",
                people[random.nextInt(people.length)] + "@example.net", 200 + random.nextInt(20_000), false);
        queues.get(queue).add(m);
        arrivals.put(m.id(), System.currentTimeMillis());
        record("arrived", m.id(), "in " + queue + " from " + m.originator());
    }

    private void record(String kind, long id, String text) {
        Event e = new Event(nextEvent++, System.currentTimeMillis(), kind, id, text);
        recent.addLast(e);
        if (recent.size() > LOG_KEPT) {
            recent.removeFirst();
        }
        log.emit(e);
    }

    /** @return every queue now */
    public synchronized Snapshot snapshot() {
        long now = System.currentTimeMillis();
        List<QueueStatus> out = new ArrayList<>();
        queues.forEach((name, q) -> out.add(new QueueStatus(name, q.size(), (int) q.stream().filter(Message::held).count(),
                q.isEmpty() ? 0 : now - arrivals.getOrDefault(q.peekFirst().id(), now))));
        return new Snapshot(++snapshots, List.copyOf(out));
    }

    /**
     * @param queue a queue name
     * @return its messages, oldest first
     */
    public synchronized List<Message> list(String queue) {
        ArrayDeque<Message> q = queues.get(queue);
        if (q == null) {
            throw PeerException.application(SwitchFacility.NO_SUCH_QUEUE, "no queue " + queue + "; queues are " + queues.keySet());
        }
        return List.copyOf(q);
    }

    private synchronized Message change(long id, String kind, boolean hold, boolean delete) {
        for (ArrayDeque<Message> q : queues.values()) {
            for (Message m : q) {
                if (m.id() == id) {
                    Message changed = new Message(m.id(), m.queue(), m.originator(), m.recipient(), m.size(), hold);
                    List<Message> rebuilt = new ArrayList<>(q);
                    rebuilt.set(rebuilt.indexOf(m), changed);
                    q.clear();
                    if (delete) {
                        rebuilt.remove(changed);
                        arrivals.remove(id);
                    }
                    q.addAll(rebuilt);
                    record(kind, id, kind + " in " + m.queue());
                    return changed;
                }
            }
        }
        throw PeerException.application(SwitchFacility.NO_SUCH_MESSAGE, "no message " + id + " is queued");
    }

    /**
     * The event log: the last {@code n} entries, then live ones. A slow subscriber loses the
     * oldest entries beyond a bounded buffer instead of growing one.
     *
     * @param n how many past entries to replay, at most 256
     * @return the entries
     */
    public Flux<Event> events(int n) {
        int replay = Math.max(0, Math.min(n, LOG_KEPT));
        return Flux.defer(() -> {
            List<Event> past = new ArrayList<>();
            java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
            Sinks.Empty<Void> captured = Sinks.empty();
            // The live subscription is registered first, then the log is copied: an entry recorded in
            // between is in both and the filter drops its second copy; none falls in neither.
            Flux<Event> live = Flux.from(subscriber -> {
                log.events().subscribe(subscriber);
                synchronized (this) {
                    List<Event> all = new ArrayList<>(recent);
                    past.addAll(all.subList(Math.max(0, all.size() - replay), all.size()));
                    last.set(nextEvent - 1);
                }
                captured.tryEmitEmpty();
            });
            return Flux.mergeSequential(Flux.defer(() -> Flux.fromIterable(List.copyOf(past))).delaySubscription(captured.asMono()),
                    live.filter(e -> e.sequence() > last.get()));
        });
    }

    /** @return the switch's handlers for the facility */
    public FacilityDispatch dispatch() {
        return FacilityDispatch.of(SwitchFacility.SWITCH)
                .handle(SwitchFacility.QUEUE_STATUS, (call, periodMillis) -> Flux.interval(Duration.ofMillis(Math.max(10, periodMillis)))
                        .map(i -> snapshot())
                        .startWith(Mono.fromSupplier(this::snapshot))
                        .onBackpressureLatest())
                .handle(SwitchFacility.LIST, (call, queue) -> Mono.fromSupplier(() -> list(queue)))
                .handle(SwitchFacility.HOLD, (call, id) -> Mono.fromSupplier(() -> change(id, "held", true, false)))
                .handle(SwitchFacility.RELEASE, (call, id) -> Mono.fromSupplier(() -> change(id, "released", false, false)))
                .handle(SwitchFacility.DELETE, (call, id) -> Mono.fromSupplier(() -> change(id, "deleted", false, true)))
                .handle(SwitchFacility.EVENT_LOG, (call, n) -> events(n));
    }

    @Override
    public void dispose() {
        router.dispose();
        log.complete();
    }

    @Override
    public boolean isDisposed() {
        return router.isDisposed();
    }
}
