package io.sluice.messaging.sasl;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.exception.ScramException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;

/**
 * The client side of one SASL exchange. SCRAM-SHA-256 runs on the ongres SCRAM library's client,
 * PLAIN, EXTERNAL and CRAM-MD5 on the JDK's ({@link Sasl#createSaslClient}), ANONYMOUS is the
 * RFC 4505 trace message; Sluice's own code only carries their messages.
 *
 * <p>Not thread-safe: one exchange, one caller at a time. SCRAM's key derivation costs CPU; call
 * {@link #evaluate} off event loops.
 */
public final class SaslClientExchange {

    /**
     * The highest SCRAM iteration count the client accepts from a server. The count is the
     * server's to choose (RFC 5802 §5.1) and costs the client that many HMACs; without a cap one
     * server-first message could make the client hash for hours. About 25 times the 4096 RFC 7677
     * asks as a minimum, which leaves room for servers that raise it.
     */
    public static final int MAX_ITERATIONS = 100_000;

    /** Mechanisms this class speaks, strongest first: the order in which a client picks one. */
    public static final List<String> PREFERENCE = List.of(SaslServerExchange.SCRAM_SHA_256, SaslServerExchange.CRAM_MD5,
            SaslServerExchange.PLAIN);

    private final String mechanism;
    private ScramClient scram;
    private SaslClient jdk;
    private byte[] initial;
    private int step;

    private SaslClientExchange(String mechanism) {
        this.mechanism = mechanism;
    }

    /**
     * Starts an exchange.
     *
     * @param mechanism one of SCRAM-SHA-256, PLAIN, CRAM-MD5, EXTERNAL, ANONYMOUS
     * @param service the SASL service name
     * @param serverName the server's host name (CRAM-MD5 ignores it; kept for the JDK's API)
     * @param user the authentication identity (ignored by EXTERNAL and ANONYMOUS)
     * @param password the password (ignored by EXTERNAL and ANONYMOUS); not kept after the exchange
     * @param role the authorization identity, or empty for the user itself
     * @return the exchange
     * @throws SaslException {@link SaslErrorCode#MECHANISM_NOT_OFFERED} for a mechanism this class lacks
     */
    public static SaslClientExchange start(String mechanism, String service, String serverName, String user, char[] password,
                                           String role) {
        SaslClientExchange e = new SaslClientExchange(mechanism);
        String authzid = role == null || role.isEmpty() ? null : role;
        try {
            switch (mechanism) {
                case SaslServerExchange.SCRAM_SHA_256 -> {
                    ScramClient.FinalBuildStage b = ScramClient.builder().advertisedMechanisms(List.of(mechanism))
                            .username(user).password(password)
                            .nonceSupplier(() -> com.ongres.scram.common.ScramFunctions.nonce(24, Nonces.RANDOM));
                    e.scram = authzid == null ? b.build() : b.authzid(authzid).build();
                    e.initial = e.scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
                }
                case SaslServerExchange.PLAIN, SaslServerExchange.CRAM_MD5, SaslServerExchange.EXTERNAL -> {
                    // CRAM-MD5 takes no authorization identity.
                    String jdkAuthzid = mechanism.equals(SaslServerExchange.CRAM_MD5) ? null : authzid;
                    e.jdk = Sasl.createSaslClient(new String[] {mechanism}, jdkAuthzid, service, serverName, Map.of(), callbacks -> {
                        for (var c : callbacks) {
                            if (c instanceof NameCallback n) {
                                n.setName(user);
                            } else if (c instanceof PasswordCallback p) {
                                p.setPassword(password);
                            }
                        }
                    });
                    if (e.jdk == null) {
                        throw new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "this JDK has no " + mechanism + " client");
                    }
                    e.initial = e.jdk.hasInitialResponse() ? e.jdk.evaluateChallenge(new byte[0]) : null;
                    // EXTERNAL without a role sends an empty response; the JDK's answers null then.
                    if (e.initial == null && mechanism.equals(SaslServerExchange.EXTERNAL)) {
                        e.initial = new byte[0];
                    }
                }
                case SaslServerExchange.ANONYMOUS -> e.initial = new byte[0];
                default -> throw new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "Sluice's SASL client speaks "
                        + List.of(SaslServerExchange.SCRAM_SHA_256, SaslServerExchange.PLAIN, SaslServerExchange.CRAM_MD5,
                        SaslServerExchange.EXTERNAL, SaslServerExchange.ANONYMOUS) + ", not " + mechanism);
            }
        } catch (javax.security.sasl.SaslException ex) {
            throw new SaslException(SaslErrorCode.MALFORMED, mechanism + " client could not start: " + ex.getMessage());
        }
        return e;
    }

    /** @return the mechanism */
    public String mechanism() {
        return mechanism;
    }

    /** @return the initial response, or null for a server-first mechanism (CRAM-MD5) */
    public byte[] initialResponse() {
        return initial;
    }

    /**
     * Answers a challenge.
     *
     * @param challenge the server's challenge
     * @return the response
     * @throws SaslException when the challenge is malformed
     */
    public byte[] evaluate(byte[] challenge) {
        step++;
        try {
            if (scram != null) {
                if (step != 1) {
                    throw new SaslException(SaslErrorCode.MALFORMED, "SCRAM has one challenge, got " + step);
                }
                int iterations = scram.serverFirstMessage(new String(challenge, StandardCharsets.UTF_8)).getIterationCount();
                if (iterations > MAX_ITERATIONS) {
                    throw new SaslException(SaslErrorCode.MALFORMED, "the server asks for an iteration count " + iterations
                            + "; this client hashes at most " + MAX_ITERATIONS + " iterations");
                }
                return scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8);
            }
            if (jdk != null) {
                return jdk.evaluateChallenge(challenge);
            }
            throw new SaslException(SaslErrorCode.MALFORMED, mechanism + " takes no challenge");
        } catch (ScramException | IllegalArgumentException | javax.security.sasl.SaslException | AssertionError e) {
            // AssertionError: the SCRAM library's own checks (a server-first-message without an
            // iteration count, say) fail that way rather than with its parse exception.
            throw new SaslException(SaslErrorCode.MALFORMED, mechanism + " challenge rejected: " + e.getMessage());
        }
    }

    /**
     * Checks the server's last message on success: SCRAM's server signature proves the server knows
     * the credential.
     *
     * @param additionalData the data that came with success
     * @throws SaslException {@link SaslErrorCode#SERVER_NOT_VERIFIED} when it does not verify
     */
    public void complete(byte[] additionalData) {
        if (scram == null) {
            return;
        }
        try {
            scram.serverFinalMessage(new String(additionalData, StandardCharsets.UTF_8));
        } catch (ScramException | IllegalArgumentException | AssertionError e) {
            throw new SaslException(SaslErrorCode.SERVER_NOT_VERIFIED, "the server's SCRAM signature did not verify: " + e.getMessage());
        }
    }
}
