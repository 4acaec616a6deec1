package io.sluice.dtls.session;

import io.sluice.error.SluiceException;

/** A DTLS handshake or session failure, with a stable {@link DtlsErrorCode}. */
public final class DtlsException extends SluiceException {

    private static final long serialVersionUID = 1L;

    DtlsException(DtlsErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    DtlsException(DtlsErrorCode code, String message) {
        super(code, message);
    }
}
