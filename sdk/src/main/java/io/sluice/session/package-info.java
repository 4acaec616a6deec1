/**
 * The session model every Sluice protocol shares.
 *
 * <ul>
 *   <li>{@link io.sluice.session.StateMachine}: a session's state, readable at any time and
 *       observable as a {@code Flux} that replays the current state and completes at the terminal
 *       one; {@link io.sluice.session.Transitions} says which changes are legal.</li>
 *   <li>{@link io.sluice.session.RefCount} and {@link io.sluice.session.Retainable}: explicit
 *       {@code retain()}/{@code release()} for objects shared between users (libcoap's
 *       {@code coap_session_reference}, ICE's shared connections), with a clear error on use after
 *       the final release and on over-release.</li>
 *   <li>{@link io.sluice.session.IdlePool}: objects whose count fell to zero, parked until an idle
 *       timeout disposes them or a retain revives them (libcoap's server sessions).</li>
 *   <li>{@link io.sluice.session.AttributeKey} and {@link io.sluice.session.Attributes}: typed
 *       application data on live objects (the seeds' app-data and client-data pointers).</li>
 *   <li>{@link io.sluice.session.SessionException} with {@link io.sluice.session.SessionErrorCode}:
 *       the failures of this model.</li>
 * </ul>
 *
 * <p>Everything here is thread-safe, never blocks, and does no I/O; protocol packages build their
 * sessions from these pieces.
 */
package io.sluice.session;
