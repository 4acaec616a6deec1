package io.sluice.messaging.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stand-in accounts for users a server does not know, so that answers do not tell which users
 * exist: the same user name always gets the same salt (a known user's salt is stable too), derived
 * with HMAC-SHA-256 from a secret made once per process; checking a password against a decoy costs
 * the same PBKDF2 work as against a real credential; no password ever matches. Thread-safe.
 *
 * <p>The secret is per process, so a decoy's salt changes when the server restarts while a real
 * user's does not; an observer who compares salts across restarts can still tell them apart.
 */
final class Decoys {

    private static final byte[] SECRET = new byte[32];

    static {
        Nonces.RANDOM.nextBytes(SECRET);
    }

    private Decoys() {
    }

    /**
     * @param user the unknown user's name as the client sent it
     * @return an account that authenticates nobody, with a salt stable for the name
     */
    static Account forUser(String user) {
        byte[] salt = Arrays.copyOf(hmac("salt\u0000" + user), 16);
        // Keys no proof can match: they are not derived from any password.
        byte[] stored = hmac("stored\u0000" + user);
        byte[] server = hmac("server\u0000" + user);
        return new Account("", ScramCredential.of(salt, ScramCredential.DEFAULT_ITERATIONS, stored, server), Set.of(), null);
    }

    /** @return whether {@code account} is a decoy rather than a user */
    static boolean isDecoy(Account account) {
        return account.name().isEmpty();
    }

    private static byte[] hmac(String input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
            return mac.doFinal(input.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }
}
