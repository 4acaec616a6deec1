package io.sluice.messaging.sasl;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;
import com.ongres.scram.common.StringPreparation;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * What a server stores for SCRAM-SHA-256 (RFC 5802 §3, RFC 7677): salt, iteration count,
 * StoredKey and ServerKey. The password itself is not kept, yet PLAIN can still be checked against
 * it. The key derivation is the SCRAM library's.
 *
 * <p>Immutable; the accessors return copies.
 */
public final class ScramCredential {

    /** RFC 7677 §4: at least 4096 iterations. */
    public static final int DEFAULT_ITERATIONS = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] salt;
    private final int iterations;
    private final byte[] storedKey;
    private final byte[] serverKey;

    private ScramCredential(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        this.salt = salt;
        this.iterations = iterations;
        this.storedKey = storedKey;
        this.serverKey = serverKey;
    }

    /**
     * Derives a credential from a password with a fresh 16-byte salt. Slow on purpose (PBKDF2):
     * call it off the event loop.
     *
     * @param password the password; SASLprep'd as RFC 5802 requires
     * @param iterations at least 4096
     * @return the credential
     */
    public static ScramCredential fromPassword(char[] password, int iterations) {
        if (iterations < DEFAULT_ITERATIONS) {
            throw new IllegalArgumentException("SCRAM-SHA-256 needs at least " + DEFAULT_ITERATIONS + " iterations, got " + iterations);
        }
        byte[] salt = ScramFunctions.salt(16, RANDOM);
        byte[] salted = salted(password, salt, iterations);
        return new ScramCredential(salt, iterations, ScramFunctions.storedKey(ScramMechanism.SCRAM_SHA_256,
                ScramFunctions.clientKey(ScramMechanism.SCRAM_SHA_256, salted)),
                ScramFunctions.serverKey(ScramMechanism.SCRAM_SHA_256, salted));
    }

    /**
     * A credential stored earlier.
     *
     * @param salt the salt
     * @param iterations the iteration count
     * @param storedKey H(ClientKey)
     * @param serverKey HMAC(SaltedPassword, "Server Key")
     * @return the credential
     */
    public static ScramCredential of(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(storedKey, "storedKey");
        Objects.requireNonNull(serverKey, "serverKey");
        return new ScramCredential(salt.clone(), iterations, storedKey.clone(), serverKey.clone());
    }

    private static byte[] salted(char[] password, byte[] salt, int iterations) {
        return ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_256, StringPreparation.SASL_PREPARATION, password, salt, iterations);
    }

    /**
     * Whether {@code password} is the one this credential was derived from (for PLAIN).
     *
     * @param password the candidate
     * @return true if it matches
     */
    public boolean matches(char[] password) {
        byte[] salted = salted(password, salt, iterations);
        byte[] candidate = ScramFunctions.storedKey(ScramMechanism.SCRAM_SHA_256, ScramFunctions.clientKey(ScramMechanism.SCRAM_SHA_256, salted));
        return MessageDigest.isEqual(candidate, storedKey);
    }

    /** @return a copy of the salt */
    public byte[] salt() {
        return salt.clone();
    }

    /** @return the PBKDF2 iteration count */
    public int iterations() {
        return iterations;
    }

    /** @return a copy of StoredKey (RFC 5802 §3) */
    public byte[] storedKey() {
        return storedKey.clone();
    }

    /** @return a copy of ServerKey (RFC 5802 §3) */
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public String toString() {
        return "ScramCredential[SCRAM-SHA-256, " + iterations + " iterations]";
    }
}
