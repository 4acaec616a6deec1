package io.sluice.ice;

/** How a {@link IceConnection#close()} ended ({@code IceCloseStatus}). */
public enum IceCloseStatus {
    /** The connection is closed: no protocol was active and the peer agreed (or had gone). */
    CLOSED_NOW,
    /** Protocols are still active on this side: shut them down first; nothing was sent. */
    CONNECTION_IN_USE,
    /** The peer answered WantToClose with NoClose: it still uses the connection, which stays open. */
    PEER_IN_USE,
    /** The connection had already broken (libICE's {@code IceClosedASAP} case): nothing was sent. */
    CLOSED_AFTER_IO_ERROR
}
