/**
 * The datagram-security SPI: what a protocol over UDP needs from a security layer, so the protocol
 * (CoAP over DTLS first) can be written here, in {@code sdk}, without importing the layer's
 * implementation. Module {@code sluice-dtls} implements it on BouncyCastle: its {@code DtlsClient}
 * is a {@link io.sluice.security.SecureDatagramClient}, its {@code DtlsServer} a
 * {@link io.sluice.security.SecureDatagramServer}, and its sessions are
 * {@link io.sluice.security.SecureDatagramSession}s.
 *
 * <p>A protocol takes a client or server spec from its user and calls {@code connect} or
 * {@code bind}; it never configures credentials itself, so the one place keys and certificates are
 * set is the security layer's own spec.
 *
 * <p>The stream-security SPI does the same for TLS the JDK does not offer (pre-shared keys):
 * a {@link io.sluice.security.SecureStreamProvider} makes one Netty handler per connection that
 * behaves as Netty's {@code SslHandler} does, and reports what it agreed as a
 * {@link io.sluice.security.SecureStreamSession}; the {@code dtls} module's {@code TlsPsk} is one.
 *
 * <p>All types here are thread-safe. Buffers follow one rule: a buffer received is the receiver's
 * to release, a buffer given to {@code send} is the session's.
 */
package io.sluice.security;
