package io.sluice.dtls.packet;

import io.sluice.error.SluiceException;

/** A packet endpoint could not do what was asked: bind, send, or serve a second user. */
public final class PacketEndpointException extends SluiceException {

    private static final long serialVersionUID = 1L;

    PacketEndpointException(PacketErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    PacketEndpointException(PacketErrorCode code, String message) {
        super(code, message);
    }
}
