/**
 * SASL (RFC 4422) for messaging sessions: the server side of PLAIN, SCRAM-SHA-256, EXTERNAL,
 * ANONYMOUS and the JDK's CRAM-MD5 ({@link io.sluice.messaging.sasl.SaslServerExchange}), the
 * user store it asks ({@link io.sluice.messaging.sasl.Authenticator},
 * {@link io.sluice.messaging.sasl.Account}, {@link io.sluice.messaging.sasl.ScramCredential}), and
 * errors with stable codes ({@link io.sluice.messaging.sasl.SaslErrorCode}).
 *
 * <p>SCRAM's cryptography (PBKDF2, HMAC, proofs and signatures) and message parsing come from the
 * ongres SCRAM library; nothing here implements a hash. Passwords are never logged or put in
 * exception messages. An unknown user and a wrong password fail the same way.
 *
 * <p>Exchanges are driven by one connection at a time and are not thread-safe; the user store's
 * lookups are asynchronous; PBKDF2 runs on {@code Schedulers.parallel()}, never on an event loop.
 */
package io.sluice.messaging.sasl;
