package io.sluice.messaging.sasl;

import java.util.Objects;
import java.util.Set;

/**
 * A user as the server's {@link Authenticator} knows it: the SCRAM credential (which also checks
 * PLAIN), the roles (authorization identities) the user may act as besides itself, and, only where
 * legacy mechanisms such as CRAM-MD5 are wanted, the password itself.
 *
 * @param name the user name (SASL authentication identity)
 * @param scram the stored SCRAM-SHA-256 credential
 * @param roles the other authorization identities the user may assume
 * @param legacyPassword the password, or null; CRAM-MD5 needs it, nothing else does
 */
public record Account(String name, ScramCredential scram, Set<String> roles, char[] legacyPassword) {

    /**
     * Checks the fields and copies the roles and the password.
     *
     * @param name the user name
     * @param scram the SCRAM credential
     * @param roles the roles the user may act as
     * @param legacyPassword the password for PLAIN and CRAM-MD5, or null
     */
    public Account {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(scram, "scram");
        roles = Set.copyOf(roles);
        legacyPassword = legacyPassword == null ? null : legacyPassword.clone();
    }

    /**
     * Whether this user may act as {@code role}: itself, or one of its roles.
     *
     * @param role the authorization identity asked for; empty means the user itself
     * @return true if allowed
     */
    public boolean mayActAs(String role) {
        return role.isEmpty() || role.equals(name) || roles.contains(role);
    }

    /** @return a copy of the legacy password, or null */
    @Override
    public char[] legacyPassword() {
        return legacyPassword == null ? null : legacyPassword.clone();
    }

    @Override
    public String toString() {
        return "Account[" + name + ", roles " + roles + (legacyPassword != null ? ", legacy password kept" : "") + "]";
    }
}
