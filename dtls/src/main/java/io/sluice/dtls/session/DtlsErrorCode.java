package io.sluice.dtls.session;

import io.sluice.error.ErrorCode;

/** Failures of DTLS sessions. */
public enum DtlsErrorCode implements ErrorCode {
    /** The handshake failed: a fatal alert, a bad credential, or no common cipher suite. */
    HANDSHAKE_FAILED("dtls.handshake-failed", "The DTLS handshake failed."),
    /** The handshake did not finish in time. */
    HANDSHAKE_TIMEOUT("dtls.handshake-timeout", "The DTLS handshake did not finish in time."),
    /** An established session failed. */
    SESSION_FAILED("dtls.session-failed", "The DTLS session failed."),
    /** The session is closed. */
    CLOSED("dtls.closed", "The DTLS session is closed.");

    private final String code;
    private final String description;

    DtlsErrorCode(String code, String description) {
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
