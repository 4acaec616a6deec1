package io.sluice.peer;

import io.sluice.error.SluiceException;

/**
 * A call or a connection failed, with the {@link PeerStatus} that says why. Handlers throw (or
 * signal) one to choose the status their caller sees; any other handler failure reaches the caller
 * as {@link PeerStatus#HANDLER_FAILED} with the failure's message. Immutable.
 */
public final class PeerException extends SluiceException {

    /** Serial form version. */
    private static final long serialVersionUID = 1L;

    /** The status code on the wire (an application code keeps its number). */
    private final int wireStatus;

    private PeerException(PeerStatus status, int wireStatus, String message, Throwable cause) {
        super(status, message, cause);
        this.wireStatus = wireStatus;
    }

    /**
     * @param status the status
     * @param message what happened
     * @return the exception
     */
    public static PeerException of(PeerStatus status, String message) {
        if (status == PeerStatus.APPLICATION) {
            throw new IllegalArgumentException("use application(code, message) for application statuses");
        }
        return new PeerException(status, status.wireCode(), message, null);
    }

    /**
     * @param status the status
     * @param message what happened
     * @param cause the underlying failure
     * @return the exception
     */
    public static PeerException of(PeerStatus status, String message, Throwable cause) {
        return new PeerException(status, status.wireCode(), message, cause);
    }

    /**
     * An application-defined failure.
     *
     * @param code 1000 to 65535
     * @param message what happened
     * @return the exception
     */
    public static PeerException application(int code, String message) {
        if (code < PeerStatus.FIRST_APPLICATION_CODE || code > 0xFFFF) {
            throw new IllegalArgumentException("application status codes are 1000..65535, was " + code);
        }
        return new PeerException(PeerStatus.APPLICATION, code, message, null);
    }

    static PeerException fromWire(int wireStatus, String message) {
        return new PeerException(PeerStatus.ofWireCode(wireStatus), wireStatus, message, null);
    }

    /** @return the status */
    public PeerStatus status() {
        return (PeerStatus) errorCode();
    }

    /** @return the status code as on the wire (the application's own code for {@link PeerStatus#APPLICATION}) */
    public int wireStatus() {
        return wireStatus;
    }
}
