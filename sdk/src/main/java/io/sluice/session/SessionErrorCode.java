package io.sluice.session;

import io.sluice.error.ErrorCode;

/** Failures of the session model. */
public enum SessionErrorCode implements ErrorCode {
    /** A state change that the session's transition table does not allow. */
    ILLEGAL_TRANSITION("session.illegal-transition", "The session cannot move from its current state to the one asked for."),
    /** Use of an object after its final release freed it. */
    RELEASED("session.released", "The object was freed after its final release and can no longer be used."),
    /** A release without a matching retain. */
    OVER_RELEASED("session.over-released", "release() was called more often than retain(); the count is already zero.");

    private final String code;
    private final String description;

    SessionErrorCode(String code, String description) {
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
