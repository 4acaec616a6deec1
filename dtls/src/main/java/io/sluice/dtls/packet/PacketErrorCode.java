package io.sluice.dtls.packet;

import io.sluice.error.ErrorCode;

/** Failures of DTLS packet endpoints. */
public enum PacketErrorCode implements ErrorCode {
    /** The UDP socket could not be bound. */
    BIND_FAILED("dtls.bind-failed", "The UDP socket could not be bound."),
    /** A packet could not be written to the network. */
    SEND_FAILED("dtls.send-failed", "A packet could not be sent."),
    /** The endpoint was used after it stopped, or in a way it serves once only. */
    ENDPOINT_STATE("dtls.endpoint-state", "The endpoint is stopped or already in use for this.");

    private final String code;
    private final String description;

    PacketErrorCode(String code, String description) {
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
