package io.sluice.dtls.session;

/**
 * Looks up the pre-shared key for a client's PSK identity, on the server. Called on the DTLS
 * scheduler during a handshake; it may block briefly (a key store lookup) but should be quick.
 */
@FunctionalInterface
public interface PskStore {

    /**
     * The key for an identity.
     *
     * @param identity the identity the client sent
     * @return the key, or null if the identity is unknown (the handshake then fails)
     */
    byte[] keyFor(byte[] identity);
}
