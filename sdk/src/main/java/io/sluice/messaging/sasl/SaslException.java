package io.sluice.messaging.sasl;

import io.sluice.error.SluiceException;

/** A SASL exchange that ended without authentication, with the reason as a {@link SaslErrorCode}. Immutable. */
public final class SaslException extends SluiceException {

    private static final long serialVersionUID = 1L;

    /**
     * @param code why
     * @param detail what happened, never a password
     */
    public SaslException(SaslErrorCode code, String detail) {
        super(code, detail);
    }

    /** @return the error code, as a {@link SaslErrorCode} */
    @Override
    public SaslErrorCode errorCode() {
        return (SaslErrorCode) super.errorCode();
    }
}
