package io.sluice.tck;

import io.sluice.testing.LeakTracking;
import java.util.List;
import org.testng.IClassListener;
import org.testng.ITestClass;

/**
 * Fails a TCK verification class that leaked a {@code ByteBuf}. TestNG finds it through
 * {@code META-INF/services}, so every verification is covered without opting in. The check runs
 * after the class, not after each method, because the TCK shares one publisher fixture per class.
 */
public final class LeakCheckListener implements IClassListener {

    static {
        // Installs the collecting leak detector before the first buffer is allocated.
        LeakTracking.install();
    }

    @Override
    public void onBeforeClass(ITestClass testClass) {
        LeakTracking.install();
    }

    @Override
    public void onAfterClass(ITestClass testClass) {
        List<String> leaks;
        try {
            leaks = LeakTracking.collectLeaks();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while collecting leak reports", e);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) in " + testClass.getName() + ":\n"
                    + String.join("\n", leaks));
        }
    }
}
