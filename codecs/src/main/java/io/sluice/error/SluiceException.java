package io.sluice.error;

import java.util.Objects;

/**
 * The base of every exception Sluice raises or signals through {@code onError}.
 *
 * <p>It carries the {@link ErrorCode} of the failure, so callers can react to the kind of failure
 * without parsing messages. The message says what happened and to what; it starts with the code in
 * square brackets so that logs stay searchable.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public class SluiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The failure's code (not serialised: codes are enums of each module). */
    private final transient ErrorCode errorCode;
    /** What happened, without the code. */
    private final String detail;

    /**
     * Creates an exception for {@code errorCode} with a message describing this occurrence.
     *
     * @param errorCode what kind of failure this is
     * @param detail what happened, to what, and where it helps what the caller can do
     */
    public SluiceException(ErrorCode errorCode, String detail) {
        this(errorCode, detail, null);
    }

    /**
     * Creates an exception for {@code errorCode} caused by {@code cause}.
     *
     * @param errorCode what kind of failure this is
     * @param detail what happened, to what, and where it helps what the caller can do
     * @param cause the underlying failure, or {@code null}
     */
    public SluiceException(ErrorCode errorCode, String detail, Throwable cause) {
        super("[" + Objects.requireNonNull(errorCode, "errorCode").code() + "] " + detail, cause);
        this.errorCode = errorCode;
        this.detail = detail;
    }

    /**
     * The kind of failure.
     *
     * @return the error code, never {@code null}
     */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /**
     * What happened, without the code in front: the text to carry when the code travels
     * separately (as on the wire).
     *
     * @return the detail given at construction
     */
    public String detail() {
        return detail;
    }
}
