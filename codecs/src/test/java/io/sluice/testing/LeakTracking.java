package io.sluice.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty's leak detector reports a buffer that was garbage-collected without
 * being released.
 *
 * <p>Registered for every Jupiter test of every module through the service file in this test-jar
 * (Surefire enables extension auto-detection). It sets paranoid detection, so every buffer is
 * tracked, and replaces the detector factory so that reports are collected instead of only logged.
 * After each test it collects garbage, waits (bounded) for the reference handler to enqueue what
 * was collected, and makes Netty poll its queue by allocating one buffer. A leak found then fails
 * the test that just ran; the report names where the buffer was last touched.
 */
public final class LeakTracking implements AfterEachCallback {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new CollectingFactory());
    }

    /**
     * Makes sure the collecting detector is installed; call it before the first {@code ByteBuf} is
     * allocated in runners that do not load this extension (the TestNG-based TCK).
     */
    public static void install() {
        // The static initializer did the work; calling a static method is what triggers it.
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        List<String> found = collectLeaks();
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " ByteBuf leak(s) detected after "
                    + context.getDisplayName() + ":\n" + String.join("\n", found));
        }
    }

    /**
     * Collects garbage and returns the leaks reported since the last call.
     *
     * @return leak reports, empty when none
     * @throws InterruptedException if interrupted while waiting for the collector
     */
    public static List<String> collectLeaks() throws InterruptedException {
        for (int round = 0; round < 2; round++) {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
            System.gc();
            // The sentinel is enqueued by the same reference handler as Netty's trackers; once it
            // arrives, references cleared by this collection are (almost always) enqueued too.
            queue.remove(1_000);
            sentinel.clear();
            ByteBufAllocator.DEFAULT.buffer(1).release();
        }
        List<String> found = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            found.add(leak);
        }
        return found;
    }

    private static final class CollectingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new CollectingDetector<>(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new CollectingDetector<>(resource, samplingInterval);
        }
    }

    private static final class CollectingDetector<T> extends ResourceLeakDetector<T> {
        CollectingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add(resourceType + " leaked:" + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add(resourceType + " leaked (no records)");
        }
    }
}
