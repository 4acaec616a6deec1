package io.sluice.ice;

/** Where a connection stands ({@code IceConnectionStatus}). */
public enum IceConnectStatus {
    /** The connection setup (and authentication) is under way. */
    PENDING,
    /** The setup succeeded; the connection is usable. */
    ACCEPTED,
    /** The setup was refused: version, authentication, or a timeout. */
    REJECTED,
    /** The transport broke or closed. */
    IO_ERROR
}
