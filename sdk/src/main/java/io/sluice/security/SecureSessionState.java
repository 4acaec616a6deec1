package io.sluice.security;

/**
 * Where a {@link SecureDatagramSession} is in its life. A server hands its sessions out in
 * {@link #HANDSHAKE}, so whoever serves them sees handshakes in progress; a client's
 * {@code connect} hands one out once {@link #ESTABLISHED}.
 */
public enum SecureSessionState {
    /** The handshake is running: nothing is negotiated yet, records cannot flow. */
    HANDSHAKE,
    /** The handshake completed: the negotiated values are known and records flow both ways. */
    ESTABLISHED,
    /** Ended, after the handshake or during it (a failed handshake ends here too). Terminal. */
    CLOSED
}
