package io.sluice.session;

import io.sluice.error.SluiceException;

/**
 * A misuse of a session or shared object: an illegal state change, use after the final release,
 * or a release without a retain. Immutable.
 */
public final class SessionException extends SluiceException {

    private static final long serialVersionUID = 1L;

    /**
     * @param code what went wrong
     * @param detail what happened, to which object
     */
    public SessionException(SessionErrorCode code, String detail) {
        super(code, detail);
    }

    /** @return the error code, as a {@link SessionErrorCode} */
    @Override
    public SessionErrorCode errorCode() {
        return (SessionErrorCode) super.errorCode();
    }
}
