package io.sluice.ice;

import io.sluice.error.ErrorCode;

/** Why an ICE operation failed. */
public enum IceErrorCode implements ErrorCode {
    /** No network ID of the list could be connected. */
    CONNECT_FAILED("ice.connect-failed", "No network ID in the list could be connected."),
    /** The peer refused the connection setup (an Error message during setup). */
    SETUP_REFUSED("ice.setup-refused", "The peer refused the connection setup."),
    /** The peer asked for authentication this side does not offer. */
    AUTH_REQUIRED("ice.auth-required", "The peer requires authentication."),
    /** The peer refused a protocol setup. */
    PROTOCOL_REFUSED("ice.protocol-refused", "The peer refused the protocol setup."),
    /** The peer sent an ICE Error message. */
    PEER_ERROR("ice.peer-error", "The peer reported an error."),
    /** The peer broke the protocol (a malformed or unexpected message). */
    PROTOCOL_VIOLATION("ice.protocol-violation", "The peer broke the ICE protocol."),
    /** The connection is closed. */
    CLOSED("ice.closed", "The ICE connection is closed."),
    /** No free major opcode is left on the connection. */
    NO_OPCODE("ice.no-opcode", "All 255 major opcodes are in use on the connection."),
    /** Authentication was rejected or failed, on either side. */
    AUTH_REJECTED("ice.auth-rejected", "ICE authentication was rejected."),
    /** An accepted connection was refused during its setup (version, authentication). */
    REJECTED("ice.rejected", "The incoming ICE connection was rejected."),
    /** An accepted connection did not finish its setup in time. */
    ACCEPT_TIMEOUT("ice.accept-timeout", "The incoming ICE connection did not complete its setup in time."),
    /** The protocol is not registered on this side. */
    NOT_REGISTERED("ice.not-registered", "The protocol is not registered on this side."),
    /** The protocol is already active on the connection ({@code IceProtocolAlreadyActive}). */
    ALREADY_ACTIVE("ice.already-active", "The protocol is already active on this connection."),
    /** The connection broke: the peer went away without closing negotiation, or a read or write failed. */
    IO_ERROR("ice.io-error", "The ICE connection broke.");

    private final String code;
    private final String description;

    IceErrorCode(String code, String description) {
        this.code = code;
        this.description = description;
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
