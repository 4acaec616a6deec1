package io.sluice.samples.demo;

import io.sluice.event.EventStream;
import io.sluice.session.AttributeKey;
import io.sluice.session.IdlePool;
import io.sluice.session.SessionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;

/**
 * Runs every part of Sluice that exists so far, in-process, and prints what happens.
 *
 * <p>Run it with the first command of the README. It blocks its own main thread while it waits for
 * timers; nothing it starts blocks an event loop.
 */
public final class Demo {

    private static final AttributeKey<String> USER = AttributeKey.of("user", String.class);

    private Demo() {
    }

    /**
     * @param args ignored
     * @throws Exception if a part of the demo fails
     */
    public static void main(String[] args) throws Exception {
        System.out.println("Sluice demo: the session model");
        sessionModel();
        System.out.println();
        System.out.println("Sluice demo: a bounded event stream");
        eventStream();
        System.out.println();
        System.out.println("Sluice demo: symmetric RPC peers");
        PeerDemo.run();
        System.out.println();
        System.out.println("Sluice demo: DTLS echo");
        DtlsDemo.run();
        System.out.println();
        System.out.println("Sluice demo: messaging sessions (SOM) with SASL and TLS");
        MessagingDemo.run();
        System.out.println();
        System.out.println("Sluice demo: CoAP over DTLS with an observable resource");
        CoapDemo.run();
        System.out.println();
        System.out.println("Sluice demo: X session management (XSMP) over ICE");
        XsmpDemo.run();
        System.out.println();
        System.out.println("Sluice demo: observing (Micrometer meters and the wiretap)");
        ObservingDemo.run();
        System.out.println();
        System.out.println("Demo finished.");
    }

    private static void sessionModel() {
        Duration idleTimeout = Duration.ofMillis(300);
        IdlePool<DemoSession> pool = IdlePool.create(idleTimeout, DemoSession::evict);
        DemoSession session = new DemoSession("127.0.0.1:5684", pool);
        Disposable watch = session.states()
                .subscribe(s -> System.out.println("  [state] " + session + " is " + s));

        System.out.println("  created " + session + " with refCount " + session.refCount()
                + "; parked in the idle pool: " + pool.isParked(session));
        session.retain();
        System.out.println("  retain  -> refCount " + session.refCount() + ", parked: " + pool.isParked(session));
        session.attributes().put(USER, "alice");
        session.connect();
        session.retain();
        System.out.println("  retain  -> refCount " + session.refCount());
        session.release();
        System.out.println("  release -> refCount " + session.refCount());
        session.release();
        System.out.println("  release -> refCount " + session.refCount() + ", parked: " + pool.isParked(session)
                + " (freed after " + idleTimeout.toMillis() + " ms unless retained again)");

        // The state flux completes when the pool's evictor closes the session.
        session.states().blockLast(Duration.ofSeconds(5));
        watch.dispose();
        System.out.println("  idle timeout -> " + session + " evicted by the pool; its attribute user="
                + session.attributes().get(USER).orElse("-"));
        try {
            session.retain();
        } catch (SessionException e) {
            System.out.println("  retain after free -> " + e.getMessage());
        }
        pool.dispose();
    }

    private static void eventStream() {
        EventStream<Integer> events = EventStream.create(16);
        AtomicLong fastSeen = new AtomicLong();
        events.events().subscribe(e -> fastSeen.incrementAndGet());
        SlowSubscriber slow = new SlowSubscriber();
        events.events().doOnDiscard(Integer.class, e -> slow.dropped.incrementAndGet()).subscribe(slow);

        for (int i = 0; i < 1_000; i++) {
            events.emit(i);
        }
        slow.request(Long.MAX_VALUE);
        events.complete();
        System.out.println("  emitted 1000 events without ever waiting");
        System.out.println("  fast subscriber received " + fastSeen.get());
        System.out.println("  slow subscriber (requested nothing until the end, buffer 16) received "
                + slow.received.get() + ", dropped " + slow.dropped.get() + " oldest; stream total dropped "
                + events.dropped());
    }

    private static final class SlowSubscriber extends BaseSubscriber<Integer> {
        final AtomicLong received = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();

        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            // Requests nothing yet: it is slow.
        }

        @Override
        protected void hookOnNext(Integer value) {
            received.incrementAndGet();
        }
    }
}
