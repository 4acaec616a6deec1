package io.sluice.messaging.sasl;

/**
 * The outcome of a successful SASL exchange.
 *
 * @param mechanism the mechanism used
 * @param user the authenticated user; {@code "anonymous"} for ANONYMOUS
 * @param role the authorization identity in force: the role asked for, or the user itself
 * @param anonymous true for ANONYMOUS
 */
public record Authenticated(String mechanism, String user, String role, boolean anonymous) {
}
