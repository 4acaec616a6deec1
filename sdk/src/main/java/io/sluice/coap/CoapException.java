package io.sluice.coap;

import io.sluice.error.SluiceException;

/**
 * A failed CoAP operation: a stable {@link CoapErrorCode}, the libcoap-style
 * {@link CoapNackReason} where one applies, and a detail naming the exchange.
 */
public final class CoapException extends SluiceException {

    private static final long serialVersionUID = 1L;

    private final transient CoapNackReason reason;

    /**
     * @param code what failed
     * @param reason the NACK reason, or {@code null}
     * @param detail what happened, naming the exchange
     */
    public CoapException(CoapErrorCode code, CoapNackReason reason, String detail) {
        super(code, detail);
        this.reason = reason;
    }

    /**
     * @param code what failed
     * @param detail what happened
     * @param cause the underlying failure
     */
    public CoapException(CoapErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
        this.reason = null;
    }

    @Override
    public CoapErrorCode errorCode() {
        return (CoapErrorCode) super.errorCode();
    }

    /** @return the NACK reason, or {@code null} when none applies */
    public CoapNackReason reason() {
        return reason;
    }
}
