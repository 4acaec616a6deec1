package io.sluice.messaging.sasl;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The randomness of SASL exchanges (nonces, fake salts): one DRBG, seeded once. The platform's
 * default {@code SecureRandom} reads {@code /dev/urandom} on every few calls, which is blocking I/O
 * on an event loop; a DRBG needs the system's entropy only when it is seeded. Thread-safe.
 */
public final class Nonces {

    static final SecureRandom RANDOM = create();

    private Nonces() {
    }

    private static SecureRandom create() {
        try {
            SecureRandom r = SecureRandom.getInstance("DRBG");
            r.nextBytes(new byte[1]);
            return r;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG SecureRandom", e);
        }
    }

    /**
     * Seeds the generator off event loops; servers and clients call it before their first
     * exchange.
     *
     * @return completes once seeded
     */
    public static Mono<Void> ready() {
        return Mono.fromRunnable(() -> RANDOM.nextInt()).subscribeOn(Schedulers.boundedElastic()).then();
    }
}
