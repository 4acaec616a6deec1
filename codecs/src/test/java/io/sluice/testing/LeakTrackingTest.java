package io.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

class LeakTrackingTest {

    @Test
    void aBufferCollectedWithoutReleaseIsReported() throws InterruptedException {
        assertThat(LeakTracking.collectLeaks()).isEmpty();
        leakOne();
        // Collection is not guaranteed on the first try under load; give the collector a few rounds.
        java.util.List<String> leaks = java.util.List.of();
        for (int i = 0; i < 10 && leaks.isEmpty(); i++) {
            leaks = LeakTracking.collectLeaks();
        }
        assertThat(leaks).hasSize(1);
        assertThat(leaks.get(0)).contains("leakOne");
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.buffer(16).writeInt(42);
    }
}
