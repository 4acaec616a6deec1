package io.sluice.ice;

import io.sluice.codec.ice.IceMessage;
import io.sluice.error.SluiceException;

/** A failed ICE operation, with the peer's Error message when there was one. */
public final class IceException extends SluiceException {

    private static final long serialVersionUID = 1L;

    private final transient IceMessage.Error peerError;

    /**
     * @param code what failed
     * @param detail what happened
     * @param peerError the peer's Error message, or null
     */
    public IceException(IceErrorCode code, String detail, IceMessage.Error peerError) {
        super(code, detail);
        this.peerError = peerError;
    }

    @Override
    public IceErrorCode errorCode() {
        return (IceErrorCode) super.errorCode();
    }

    /** @return the peer's Error message, or null */
    public IceMessage.Error peerError() {
        return peerError;
    }
}
