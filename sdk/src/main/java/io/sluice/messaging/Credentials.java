package io.sluice.messaging;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Who a messaging session authenticates as: anonymously, with a user name and password, or with
 * the TLS client certificate (SASL EXTERNAL); optionally with a SASL mechanism to insist on and a
 * role (the SASL authorization identity) to act as. Immutable; the password is copied in and
 * never appears in {@link #toString()}.
 */
public final class Credentials {

    enum Kind { ANONYMOUS, PASSWORD, CERTIFICATE }

    private final Kind kind;
    private final String user;
    private final char[] password;
    private final String mechanism;
    private final String role;

    private Credentials(Kind kind, String user, char[] password, String mechanism, String role) {
        this.kind = kind;
        this.user = user;
        this.password = password;
        this.mechanism = mechanism;
        this.role = role;
    }

    /** @return anonymous access (SASL ANONYMOUS), where the server allows it */
    public static Credentials anonymous() {
        return new Credentials(Kind.ANONYMOUS, null, null, null, "");
    }

    /**
     * A user name and password. The mechanism is the strongest the server offers of SCRAM-SHA-256,
     * CRAM-MD5 and PLAIN, unless {@link #mechanism(String)} names one.
     *
     * @param user the user name
     * @param password the password; copied
     * @return the credentials
     */
    public static Credentials password(String user, char[] password) {
        if (Objects.requireNonNull(user, "user").isEmpty()) {
            throw new IllegalArgumentException("the user name is empty; use Credentials.anonymous() for anonymous access");
        }
        return new Credentials(Kind.PASSWORD, user, Objects.requireNonNull(password, "password").clone(), null, "");
    }

    /** @return authentication by the TLS client certificate (SASL EXTERNAL); needs an identity in the client's TLS environment */
    public static Credentials certificate() {
        return new Credentials(Kind.CERTIFICATE, null, null, "EXTERNAL", "");
    }

    /**
     * @param mechanism the SASL mechanism to use; opening fails if the server does not offer it
     * @return new credentials
     */
    public Credentials mechanism(String mechanism) {
        return new Credentials(kind, user, password, Objects.requireNonNull(mechanism, "mechanism"), role);
    }

    /**
     * @param role the authorization identity to act as (empty: the user itself)
     * @return new credentials
     */
    public Credentials role(String role) {
        if (kind == Kind.ANONYMOUS) {
            throw new IllegalArgumentException("anonymous sessions take no role");
        }
        return new Credentials(kind, user, password, mechanism, Objects.requireNonNull(role, "role"));
    }

    Kind kind() {
        return kind;
    }

    /** @return the user name, if any */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    char[] password() {
        return password == null ? null : password.clone();
    }

    /** @return the mechanism insisted on, if any */
    public Optional<String> mechanism() {
        return Optional.ofNullable(mechanism);
    }

    /** @return the role, empty for the user itself */
    public String role() {
        return role;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ANONYMOUS -> "Credentials[anonymous]";
            case CERTIFICATE -> "Credentials[certificate" + (role.isEmpty() ? "" : ", role " + role) + "]";
            case PASSWORD -> "Credentials[" + user + (mechanism == null ? "" : ", " + mechanism)
                    + (role.isEmpty() ? "" : ", role " + role) + ", password ****]";
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Credentials c && c.kind == kind && Objects.equals(c.user, user) && Arrays.equals(c.password, password)
                && Objects.equals(c.mechanism, mechanism) && c.role.equals(role);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, user, mechanism, role);
    }
}
