package io.sluice.codec;

import io.sluice.error.SluiceException;

/**
 * Bytes that could not be decoded, or a message that could not be encoded.
 *
 * <p>The exception names the byte {@link #offset() offset}, counted from the first byte of the
 * message (or, for stream framing errors, from the first byte of the stream), and the
 * {@link #reason() reason} in words. Instances are immutable.
 */
public final class CodecException extends SluiceException {

    private static final long serialVersionUID = 1L;

    /** Where in the input the fault is, or -1. */
    private final long offset;
    /** What was wrong, without the offset. */
    private final String reason;

    private CodecException(CodecErrorCode code, long offset, String reason, Throwable cause) {
        super(code, (offset >= 0 ? "at byte " + offset + ": " : "") + reason, cause);
        this.offset = offset;
        this.reason = reason;
    }

    /**
     * The bytes break the wire format at {@code offset}.
     *
     * @param offset where the fault is, from the start of the message
     * @param reason what is wrong there
     * @return the exception
     */
    public static CodecException malformed(long offset, String reason) {
        return new CodecException(CodecErrorCode.MALFORMED, offset, reason, null);
    }

    /**
     * The bytes end at {@code offset} although the message needs more.
     *
     * @param offset where the bytes end
     * @param reason what was being read
     * @return the exception
     */
    public static CodecException truncated(long offset, String reason) {
        return new CodecException(CodecErrorCode.TRUNCATED, offset, reason, null);
    }

    /**
     * A configured limit is broken at {@code offset}.
     *
     * @param offset where the limit was found to be broken
     * @param reason which limit and by how much
     * @return the exception
     */
    public static CodecException limitExceeded(long offset, String reason) {
        return new CodecException(CodecErrorCode.LIMIT_EXCEEDED, offset, reason, null);
    }

    /**
     * A message cannot be written; there is no offset.
     *
     * @param reason what cannot be represented
     * @return the exception
     */
    public static CodecException unencodable(String reason) {
        return new CodecException(CodecErrorCode.UNENCODABLE, -1, reason, null);
    }

    /**
     * A decoder failed in a way it did not anticipate (typically reading past the end of the
     * buffer); the failure is reported as malformed input rather than as a crash.
     *
     * @param offset the reader position when it failed
     * @param cause the unexpected failure
     * @return the exception
     */
    public static CodecException unexpected(long offset, RuntimeException cause) {
        CodecErrorCode code = cause instanceof IndexOutOfBoundsException
                ? CodecErrorCode.TRUNCATED : CodecErrorCode.MALFORMED;
        return new CodecException(code, offset, "decoder failed: " + cause, cause);
    }

    /**
     * The byte offset of the fault, or {@code -1} when there is none (encoding failures).
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }

    /**
     * What is wrong, in words, without the code or the offset.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }

    /** @return the error code, as a {@link CodecErrorCode} */
    @Override
    public CodecErrorCode errorCode() {
        return (CodecErrorCode) super.errorCode();
    }
}
