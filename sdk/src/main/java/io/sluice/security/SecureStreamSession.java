package io.sluice.security;

import java.util.Optional;

/**
 * What a connection secured through a {@link SecureStreamProvider} agreed in its handshake. Values
 * are set once, on the event loop, when the handshake completes, and may be read from any thread
 * after that; before it they are empty.
 */
public interface SecureStreamSession {

    /** @return the protocol version, such as {@code TLSv1.2}, once the handshake completed */
    Optional<String> protocolVersion();

    /** @return the cipher suite's IANA name, once the handshake completed */
    Optional<String> cipherSuite();

    /** @return the PSK identity the client used, for a pre-shared-key suite (a copy) */
    Optional<byte[]> pskIdentity();
}
