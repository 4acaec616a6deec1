package io.sluice.messaging;

import io.sluice.error.SluiceException;

/** A messaging session failed, with a {@link MessagingErrorCode}. Immutable. */
public final class MessagingException extends SluiceException {

    private static final long serialVersionUID = 1L;

    /**
     * @param code why
     * @param detail what happened, to what
     * @param cause the underlying failure, or null
     */
    public MessagingException(MessagingErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }

    /**
     * @param code why
     * @param detail what happened, to what
     */
    public MessagingException(MessagingErrorCode code, String detail) {
        super(code, detail, null);
    }

    /** @return the error code */
    @Override
    public MessagingErrorCode errorCode() {
        return (MessagingErrorCode) super.errorCode();
    }
}
