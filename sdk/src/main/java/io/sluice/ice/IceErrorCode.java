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
    NO_OPCODE("ice.no-opcode", "All 255 major opcodes are in use on the connection.");

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
