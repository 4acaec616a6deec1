package io.sluice.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets an event loop cancel a Reactor periodic timer ({@code Flux.interval}) without BlockHound
 * failing the test. Cancelling removes the task from the scheduler's delay queue under its lock,
 * which parks for a moment when the timer thread holds it; Reactor's own integration allows the
 * same for its one-shot tasks ({@code SchedulerTask.dispose}, {@code WorkerTask.dispose}) but not
 * for {@code PeriodicSchedulerTask}. Seen when a server cancelled a ticking handler on its loop
 * under load.
 *
 * <p>Registered through {@code META-INF/services}; every module's tests get it with the
 * codecs test-jar.
 */
public final class PeriodicTaskBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("reactor.core.scheduler.PeriodicSchedulerTask", "dispose");
        builder.allowBlockingCallsInside("reactor.core.scheduler.PeriodicWorkerTask", "dispose");
        builder.allowBlockingCallsInside("reactor.core.scheduler.InstantPeriodicWorkerTask", "dispose");
    }
}
