package io.sluice.dtls.session;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What every DTLS session shares: the crypto provider and the bounded scheduler BouncyCastle runs on. */
final class DtlsRuntime {

    /**
     * Where handshakes run: each blocks a thread for its duration (BouncyCastle waits on the
     * network inside it), so the cap is high and threads are made only as handshakes need them
     * and dropped after a minute idle. A process that is client and server at once needs a
     * thread for each side of every handshake in flight.
     */
    static final Scheduler HANDSHAKES = Schedulers.newBoundedElastic(256, 100_000, "sluice-dtls-handshake", 60, true);

    /**
     * Where sessions with a non-AEAD suite protect records sent from an event loop (their CBC IVs
     * are random numbers, which may block): short tasks, kept apart from the handshakes so that a
     * burst of handshakes never starves sessions that are already up.
     */
    static final Scheduler RECORDS = Schedulers.newBoundedElastic(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
            100_000, "sluice-dtls-records", 60, true);

    private static final JdkFirstHelper HELPER = new JdkFirstHelper();

    /** BouncyCastle's TLS over the JDK's providers where they have the algorithm (see {@link JdkFirstHelper}). */
    static final TlsCrypto CRYPTO = new Crypto(HELPER, new SecureRandom());

    /** A cipher from the provider that serves the algorithm, JDK first. */
    static javax.crypto.Cipher cipher(String algorithm) throws java.security.GeneralSecurityException {
        return HELPER.createCipher(algorithm);
    }

    /** Only to reach the constructor that takes a helper. */
    private static final class Crypto extends JcaTlsCrypto {
        Crypto(JcaJceHelper helper, SecureRandom random) {
            super(helper, random, random);
        }
    }

    /**
     * The crypto for TLS over streams ({@link TlsPsk}), whose handshakes run on event loops: a
     * Hash_DRBG seeded once, when this class loads (off any loop), that never reads the system's
     * entropy source again; the default NativePRNG reads /dev/urandom on every call, a blocking
     * read that has no place on an event loop.
     */
    private static final TlsCrypto STREAM_CRYPTO = streamCrypto();

    private static TlsCrypto streamCrypto() {
        try {
            SecureRandom drbg = SecureRandom.getInstance("DRBG",
                    java.security.DrbgParameters.instantiation(256, java.security.DrbgParameters.Capability.NONE, null));
            drbg.nextInt(); // instantiates, which seeds it, now
            SecureRandom loopSafe = new LoopSafeRandom(drbg);
            return new Crypto(new JdkFirstHelper(), loopSafe);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG", e);
        }
    }

    /**
     * A seeded DRBG whose seeds for other generators (BouncyCastle seeds a nonce generator per
     * connection with {@code generateSeed}) are its own output, not reads of the entropy source.
     */
    private static final class LoopSafeRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final SecureRandom drbg;

        LoopSafeRandom(SecureRandom drbg) {
            this.drbg = drbg;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            drbg.nextBytes(bytes);
        }

        @Override
        public byte[] generateSeed(int numBytes) {
            byte[] seed = new byte[numBytes];
            drbg.nextBytes(seed);
            return seed;
        }

        @Override
        public void setSeed(byte[] seed) {
            if (drbg != null) {
                drbg.setSeed(seed);
            }
        }

        @Override
        public String getAlgorithm() {
            return drbg.getAlgorithm();
        }
    }

    /** @return the stream crypto, seeded */
    static TlsCrypto streamCryptoReady() {
        return STREAM_CRYPTO;
    }

    private static final Map<Integer, String> SUITE_NAMES = suiteNames();
    private static final Map<String, Integer> SUITE_CODES = suiteCodes();

    private DtlsRuntime() {
    }

    /**
     * Completes once the crypto provider is loaded and seeded: that reads the system's entropy
     * source, which must not happen on an event loop, so it happens here, on a worker.
     */
    static Mono<Void> ready() {
        return READY;
    }

    private static final Mono<Void> READY = Mono.fromRunnable(() -> CRYPTO.getSecureRandom().nextInt())
            .subscribeOn(Schedulers.boundedElastic()).then().cache();

    /** The code of a suite by its IANA name, or null. */
    static Integer suiteCode(String name) {
        return SUITE_CODES.get(name);
    }

    static String suiteName(int suite) {
        return SUITE_NAMES.getOrDefault(suite, String.format("0x%04X", suite));
    }

    private static Map<String, Integer> suiteCodes() {
        Map<String, Integer> codes = new HashMap<>();
        SUITE_NAMES.forEach((code, name) -> codes.put(name, code));
        return codes;
    }

    private static Map<Integer, String> suiteNames() {
        Map<Integer, String> names = new HashMap<>();
        for (Field f : CipherSuite.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().startsWith("TLS_")) {
                try {
                    names.putIfAbsent(f.getInt(null), f.getName());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }
}
