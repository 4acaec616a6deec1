package io.sluice.messaging.sasl;

import com.ongres.scram.common.ClientFirstMessage;
import com.ongres.scram.common.Gs2CbindFlag;
import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;
import com.ongres.scram.common.ServerFirstMessage;
import com.ongres.scram.common.exception.ScramParseException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslServer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The server side of one SASL authentication (RFC 4422): {@link #initialChallenge()} for
 * server-first mechanisms, then {@link #respond} for each client message until a
 * {@link SaslStep.Success} or an error. PLAIN (RFC 4616), SCRAM-SHA-256 (RFC 5802, 7677; crypto
 * from the SCRAM library), EXTERNAL (RFC 4422 App. A, identity from the verified TLS client
 * certificate), ANONYMOUS (RFC 4505) and the JDK's CRAM-MD5.
 *
 * <p>Not thread-safe: one exchange is driven by one connection, one message at a time. Password
 * hashing runs on {@code Schedulers.parallel()}, never on the caller's thread.
 */
public final class SaslServerExchange {

    /** RFC 4616: a user name and password in the clear (only over TLS unless allowed). */
    public static final String PLAIN = "PLAIN";
    /** RFC 5802 and RFC 7677. */
    public static final String SCRAM_SHA_256 = "SCRAM-SHA-256";
    /** RFC 4422 Appendix A: the identity the TLS client certificate proved. */
    public static final String EXTERNAL = "EXTERNAL";
    /** RFC 4505: no identity, only a trace. */
    public static final String ANONYMOUS = "ANONYMOUS";
    /** RFC 2195: a challenge answered with an HMAC-MD5 of the password (legacy). */
    public static final String CRAM_MD5 = "CRAM-MD5";
    /** RFC 4616 §2 and RFC 4505 §3: identities, passwords and traces are at most 255 octets. */
    static final int MAX_FIELD = 255;
    private static final int SHA_256_BYTES = 32;
    private static final SecureRandom RANDOM = Nonces.RANDOM;

    private final String mechanism;
    private final String service;
    private final Authenticator authenticator;
    private final boolean tls;
    private final X509Certificate clientCertificate;
    private int step;
    // SCRAM state between the two client messages.
    private ClientFirstMessage clientFirst;
    private String gs2Header;
    private String clientFirstBare;
    private ServerFirstMessage serverFirst;
    private Account scramAccount;
    // CRAM-MD5 state: the JDK's server asks its callbacks for the user and password we fetched.
    private SaslServer jdk;
    private char[] legacyPassword;
    private String legacyUser;

    private SaslServerExchange(String mechanism, String service, Authenticator authenticator, boolean tls, X509Certificate clientCertificate) {
        this.mechanism = mechanism;
        this.service = service;
        this.authenticator = authenticator;
        this.tls = tls;
        this.clientCertificate = clientCertificate;
    }

    /** @return the mechanism the client chose */
    public String mechanism() {
        return mechanism;
    }

    /**
     * The mechanisms to advertise on a connection: PLAIN only over TLS unless plaintext is allowed,
     * EXTERNAL only when the client presented a verified certificate.
     *
     * @param enabled the server's mechanisms, in order of preference
     * @param tls whether the connection has TLS
     * @param clientCertificate whether the client presented a verified certificate
     * @param plaintextWithoutTls whether PLAIN may run without TLS
     * @return the list to send to the client
     */
    public static List<String> offered(List<String> enabled, boolean tls, boolean clientCertificate, boolean plaintextWithoutTls) {
        List<String> out = new ArrayList<>();
        for (String m : enabled) {
            if (m.equals(PLAIN) && !tls && !plaintextWithoutTls) {
                continue;
            }
            if (m.equals(EXTERNAL) && !clientCertificate) {
                continue;
            }
            out.add(m);
        }
        return out;
    }

    /**
     * Starts an exchange for a mechanism the client chose.
     *
     * @param mechanism the client's choice
     * @param offered what the server advertised on this connection (see {@link #offered})
     * @param service the SASL service name (SOM's is {@code som})
     * @param authenticator the user store
     * @param tls whether the connection has TLS
     * @param clientCertificate the verified client certificate, or null
     * @param plaintextWithoutTls whether PLAIN may run without TLS
     * @return the exchange
     * @throws SaslException if the mechanism is not offered, or is PLAIN without TLS
     */
    public static SaslServerExchange start(String mechanism, List<String> offered, String service, Authenticator authenticator, boolean tls,
                                           X509Certificate clientCertificate, boolean plaintextWithoutTls) {
        if (mechanism.equals(PLAIN) && !tls && !plaintextWithoutTls) {
            throw new SaslException(SaslErrorCode.PLAINTEXT_REFUSED, "PLAIN would send the password in the clear on a connection"
                    + " without TLS; use TLS or SCRAM-SHA-256");
        }
        if (!offered.contains(mechanism)) {
            throw new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "mechanism " + mechanism + " is not offered; the server offers "
                    + offered);
        }
        return new SaslServerExchange(mechanism, service, authenticator, tls, clientCertificate);
    }

    /**
     * The first challenge of a server-first mechanism (CRAM-MD5), sent before any client message.
     *
     * @return the challenge, or empty for client-first mechanisms
     */
    public Optional<byte[]> initialChallenge() {
        if (!mechanism.equals(CRAM_MD5)) {
            return Optional.empty();
        }
        try {
            jdk = Sasl.createSaslServer(CRAM_MD5, service, "localhost", Map.of(), this::legacyCallbacks);
            return Optional.of(jdk.evaluateResponse(new byte[0]));
        } catch (javax.security.sasl.SaslException e) {
            throw new IllegalStateException("the JDK's CRAM-MD5 server is unavailable", e);
        }
    }

    /**
     * Answers one client message.
     *
     * @param response the client's message
     * @return the next step; an error ({@link SaslException}) ends the exchange
     */
    public Mono<SaslStep> respond(byte[] response) {
        step++;
        return switch (mechanism) {
            case PLAIN -> step == 1 ? plain(response) : outOfOrder();
            case SCRAM_SHA_256 -> step == 1 ? scramFirst(response) : step == 2 ? scramFinal(response) : outOfOrder();
            case EXTERNAL -> step == 1 ? external(response) : outOfOrder();
            case ANONYMOUS -> step == 1 ? anonymous(response) : outOfOrder();
            case CRAM_MD5 -> step == 1 && jdk != null ? cramMd5(response) : outOfOrder();
            // The server's own list named a mechanism this class does not speak.
            default -> Mono.error(new SaslException(SaslErrorCode.MECHANISM_NOT_OFFERED, "mechanism " + mechanism
                    + " is configured but Sluice's SASL server speaks only " + List.of(SCRAM_SHA_256, PLAIN, EXTERNAL, ANONYMOUS, CRAM_MD5)));
        };
    }

    private static Mono<SaslStep> outOfOrder() {
        return Mono.error(new SaslException(SaslErrorCode.MALFORMED, "a SASL message arrived after the exchange ended"));
    }

    private static SaslException malformed(String why) {
        return new SaslException(SaslErrorCode.MALFORMED, why);
    }

    private static SaslException failed() {
        return new SaslException(SaslErrorCode.AUTHENTICATION_FAILED, "authentication failed");
    }

    private Mono<SaslStep> authorize(Account account, String role, byte[] additional) {
        if (!account.mayActAs(role)) {
            return Mono.error(new SaslException(SaslErrorCode.NOT_AUTHORIZED, "user " + account.name() + " may not act as " + role));
        }
        return Mono.just(new SaslStep.Success(new Authenticated(mechanism, account.name(), role.isEmpty() ? account.name() : role, false),
                additional));
    }

    // ---- PLAIN: [authzid] NUL authcid NUL passwd -------------------------------------------

    private Mono<SaslStep> plain(byte[] message) {
        int first = indexOf(message, 0);
        int second = first < 0 ? -1 : indexOf(message, first + 1);
        if (second < 0 || indexOf(message, second + 1) >= 0) {
            return Mono.error(malformed("PLAIN message must be authzid NUL authcid NUL password (RFC 4616)"));
        }
        String role = new String(message, 0, first, StandardCharsets.UTF_8);
        String user = new String(message, first + 1, second - first - 1, StandardCharsets.UTF_8);
        // Only the decoded chars: the buffer's backing array can be longer than its content.
        CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(message, second + 1, message.length - second - 1));
        char[] password = new char[decoded.remaining()];
        decoded.get(password);
        if (user.isEmpty() || first > MAX_FIELD || second - first - 1 > MAX_FIELD || message.length - second - 1 > MAX_FIELD) {
            return Mono.error(malformed("PLAIN identities and password must be 1 to 255 octets"));
        }
        return authenticator.account(user)
                // An unknown user costs the same PBKDF2 work as a known one, so timing does not tell them apart.
                .defaultIfEmpty(Decoys.forUser(user))
                .publishOn(Schedulers.parallel())
                .filter(account -> account.scram().matches(password) && !Decoys.isDecoy(account))
                .switchIfEmpty(Mono.error(SaslServerExchange::failed))
                .flatMap(account -> authorize(account, role, new byte[0]));
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    // ---- SCRAM-SHA-256 ---------------------------------------------------------------------

    private Mono<SaslStep> scramFirst(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int firstComma = text.indexOf(',');
        int secondComma = firstComma < 0 ? -1 : text.indexOf(',', firstComma + 1);
        if (secondComma < 0) {
            return Mono.error(malformed("SCRAM client-first-message lacks its GS2 header"));
        }
        gs2Header = text.substring(0, secondComma + 1);
        clientFirstBare = text.substring(secondComma + 1);
        try {
            clientFirst = ClientFirstMessage.parseFrom(text);
        } catch (ScramParseException | IllegalArgumentException | AssertionError e) {
            // AssertionError: the SCRAM library's own checks fail that way on some malformed messages.
            return Mono.error(malformed("SCRAM client-first-message: " + e.getMessage()));
        }
        if (clientFirst.getGs2Header().getChannelBindingFlag() == Gs2CbindFlag.CHANNEL_BINDING_REQUIRED) {
            return Mono.error(malformed("SCRAM channel binding (-PLUS) is not offered"));
        }
        return authenticator.account(clientFirst.getUsername())
                // An unknown user gets a well-formed challenge all the same (RFC 5802 §5.1), with a
                // salt as stable as a real user's, so answers do not tell which users exist; it
                // fails at the proof.
                .defaultIfEmpty(Decoys.forUser(clientFirst.getUsername()))
                .map(account -> {
                    scramAccount = account;
                    serverFirst = new ServerFirstMessage(clientFirst.getClientNonce(), ScramFunctions.nonce(24, RANDOM),
                            Base64.getEncoder().encodeToString(account.scram().salt()), account.scram().iterations());
                    return new SaslStep.Challenge(serverFirst.toString().getBytes(StandardCharsets.UTF_8));
                });
    }

    private Mono<SaslStep> scramFinal(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int proofAt = text.lastIndexOf(",p=");
        if (!text.startsWith("c=") || proofAt < 0) {
            return Mono.error(malformed("SCRAM client-final-message must be c=...,r=...,p=..."));
        }
        String withoutProof = text.substring(0, proofAt);
        String[] parts = withoutProof.split(",", -1);
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(text.substring(proofAt + 3));
        } catch (IllegalArgumentException e) {
            return Mono.error(malformed("SCRAM proof is not base64"));
        }
        if (proof.length != SHA_256_BYTES) {
            // ClientKey XOR ClientSignature (RFC 5802 §3): as long as the hash, or the library throws.
            return Mono.error(malformed("SCRAM proof is " + proof.length + " bytes, SCRAM-SHA-256's is " + SHA_256_BYTES));
        }
        String expectedBinding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
        if (parts.length < 2 || !parts[0].equals("c=" + expectedBinding)) {
            return Mono.error(malformed("SCRAM channel-binding attribute does not match the GS2 header"));
        }
        if (!parts[1].equals("r=" + serverFirst.getNonce())) {
            return Mono.error(malformed("SCRAM nonce does not match the server's"));
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        Account account = scramAccount;
        if (Decoys.isDecoy(account)
                || !ScramFunctions.verifyClientProof(ScramMechanism.SCRAM_SHA_256, proof, account.scram().storedKey(), authMessage)) {
            return Mono.error(failed());
        }
        byte[] signature = ScramFunctions.serverSignature(ScramMechanism.SCRAM_SHA_256, account.scram().serverKey(), authMessage);
        String role = clientFirst.getGs2Header().getAuthzid() == null ? "" : clientFirst.getGs2Header().getAuthzid();
        return authorize(account, role, ("v=" + Base64.getEncoder().encodeToString(signature)).getBytes(StandardCharsets.UTF_8));
    }

    // ---- EXTERNAL and ANONYMOUS ------------------------------------------------------------

    private Mono<SaslStep> external(byte[] message) {
        if (clientCertificate == null) {
            return Mono.error(failed());
        }
        if (message.length > MAX_FIELD) {
            return Mono.error(malformed("EXTERNAL authorization identity longer than 255 octets"));
        }
        String role = new String(message, StandardCharsets.UTF_8);
        return authenticator.userForCertificate(clientCertificate)
                .switchIfEmpty(Mono.error(() -> new SaslException(SaslErrorCode.AUTHENTICATION_FAILED, "the client certificate "
                        + clientCertificate.getSubjectX500Principal().getName() + " stands for no user")))
                .flatMap(user -> role.isEmpty() || role.equals(user)
                        ? Mono.just(new SaslStep.Success(new Authenticated(mechanism, user, user, false), new byte[0]))
                        : authenticator.account(user).switchIfEmpty(Mono.error(SaslServerExchange::failed))
                                .flatMap(account -> authorize(account, role, new byte[0])));
    }

    private Mono<SaslStep> anonymous(byte[] message) {
        if (message.length > MAX_FIELD) {
            return Mono.error(malformed("ANONYMOUS trace longer than 255 octets"));
        }
        return Mono.just(new SaslStep.Success(new Authenticated(mechanism, "anonymous", "anonymous", true), new byte[0]));
    }

    // ---- CRAM-MD5 through the JDK ----------------------------------------------------------

    private Mono<SaslStep> cramMd5(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        int space = text.lastIndexOf(' ');
        if (space <= 0) {
            return Mono.error(malformed("CRAM-MD5 response must be 'user digest'"));
        }
        String user = text.substring(0, space);
        return authenticator.account(user)
                .filter(account -> account.legacyPassword() != null)
                .switchIfEmpty(Mono.error(SaslServerExchange::failed))
                .flatMap(account -> {
                    legacyUser = user;
                    legacyPassword = account.legacyPassword();
                    try {
                        jdk.evaluateResponse(message);
                    } catch (javax.security.sasl.SaslException e) {
                        return Mono.error(failed());
                    } finally {
                        Arrays.fill(legacyPassword, '\0');
                    }
                    return authorize(account, "", new byte[0]);
                });
    }

    private void legacyCallbacks(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback c : callbacks) {
            if (c instanceof NameCallback n) {
                n.setName(legacyUser);
            } else if (c instanceof PasswordCallback p) {
                p.setPassword(legacyPassword);
            } else if (c instanceof AuthorizeCallback a) {
                a.setAuthorized(a.getAuthenticationID().equals(a.getAuthorizationID()));
            } else {
                throw new UnsupportedCallbackException(c);
            }
        }
    }
}
