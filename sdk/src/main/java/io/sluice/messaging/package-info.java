/**
 * Messaging sessions: Isode SOM's authenticated management sessions, reactive and built on
 * {@link io.sluice.peer peers}.
 *
 * <p>A {@link io.sluice.messaging.MessagingClient} (the facilities a session uses, the SASL service
 * name, TLS from a {@link io.sluice.messaging.SecurityEnvironment}) opens a
 * {@link io.sluice.messaging.MessagingSession} with {@link io.sluice.messaging.Credentials}; a
 * {@link io.sluice.messaging.MessagingServer} authenticates it with SASL and authorizes every
 * facility call ({@link io.sluice.messaging.FacilityAuthorization}). A
 * {@link io.sluice.messaging.Facility} is a named set of call types; its server side is a
 * {@link io.sluice.messaging.FacilityDispatch}. Calls in progress and objects handlers
 * {@link io.sluice.messaging.FacilityCall#track track} are the session's subordinate objects,
 * released by {@code clear}, re-authentication and the end of the session.
 *
 * <p>SOM's poll loop and session callback become {@link io.sluice.messaging.MessagingSession#events()};
 * {@code SOMError} becomes {@link io.sluice.messaging.MessagingErrorCode} (with the SASL codes of
 * {@link io.sluice.messaging.sasl.SaslErrorCode}). The session protocol is in {@code PROTOCOL.md}
 * beside these sources. Everything here is thread-safe; no call blocks; the SASL work that costs
 * CPU runs off event loops.
 */
package io.sluice.messaging;
