package io.sluice.peer;

import io.sluice.error.ErrorCode;

/**
 * Why a call or a connection ended, as carried in FAILURE and GOODBYE frames (the analogue of
 * lwmsg's {@code LWMsgStatus}). Codes 1000 and above are the application's own and map to
 * {@link #APPLICATION}.
 */
public enum PeerStatus implements ErrorCode {
    /** Success; a normal shutdown in GOODBYE. */
    OK(0, "peer.ok", "Success."),
    /** The handler failed. */
    HANDLER_FAILED(1, "peer.handler-failed", "The remote handler failed."),
    /** No handler is registered for the tag. */
    UNKNOWN_TAG(2, "peer.unknown-tag", "The remote peer has no handler for the call's tag."),
    /** The call was cancelled. */
    CANCELLED(3, "peer.cancelled", "The call was cancelled."),
    /** A timeout expired. */
    TIMEOUT(4, "peer.timeout", "A timeout expired."),
    /** A payload could not be encoded or decoded. */
    MALFORMED(5, "peer.malformed", "A payload could not be encoded or decoded."),
    /** The remote peer cannot take the connection or the call now. */
    BUSY(6, "peer.busy", "The remote peer is at its client, backlog or concurrent-call limit."),
    /** The other side broke the call protocol. */
    PROTOCOL(7, "peer.protocol", "The call protocol was broken."),
    /** The peer is stopping. */
    SHUTDOWN(8, "peer.shutdown", "The peer is stopping."),
    /** The two sides speak different protocol versions. */
    UNSUPPORTED_VERSION(9, "peer.unsupported-version", "The two sides speak different call protocol versions."),
    /** The connection closed under the call. */
    CONNECTION_LOST(10, "peer.connection-lost", "The connection closed while the call was in progress."),
    /** No endpoint could be connected. */
    UNAVAILABLE(11, "peer.unavailable", "None of the connect endpoints could be reached."),
    /** The TLS handshake failed: an untrusted or expired certificate, a host-name mismatch, no common suite. */
    TLS_FAILED(12, "peer.tls-failed", "The TLS handshake failed."),
    /** An application-defined status (1000 and above). */
    APPLICATION(-1, "peer.application", "An application-defined failure.");

    /** The first status code left to applications. */
    public static final int FIRST_APPLICATION_CODE = 1000;

    private final int wireCode;
    private final String code;
    private final String description;

    PeerStatus(int wireCode, String code, String description) {
        this.wireCode = wireCode;
        this.code = code;
        this.description = description;
    }

    /** @return the status code on the wire ({@code -1} for {@link #APPLICATION}, whose codes vary) */
    public int wireCode() {
        return wireCode;
    }

    /**
     * @param wireCode a status code from a frame
     * @return its status; {@link #APPLICATION} for 1000 and above; {@link #PROTOCOL} for an
     *     unassigned code below 1000
     */
    public static PeerStatus ofWireCode(int wireCode) {
        if (wireCode >= FIRST_APPLICATION_CODE) {
            return APPLICATION;
        }
        for (PeerStatus s : values()) {
            if (s.wireCode == wireCode) {
                return s;
            }
        }
        return PROTOCOL;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public String description() {
        return description;
    }
}
