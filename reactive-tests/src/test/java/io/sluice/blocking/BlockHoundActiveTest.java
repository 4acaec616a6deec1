package io.sluice.blocking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Guards the guard: if BlockHound ever stops being installed, this test says so. */
class BlockHoundActiveTest {

    @Test
    void blockingOnANonBlockingThreadFails() {
        Mono<Void> blocking = Mono.<Void>fromCallable(() -> {
            Thread.sleep(1);
            return null;
        }).subscribeOn(Schedulers.parallel());
        StepVerifier.create(blocking)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BlockingOperationError.class)
                        .hasMessageContaining("java.lang.Thread.sleep"))
                .verify(Duration.ofSeconds(10));
    }
}
