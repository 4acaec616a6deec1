package io.sluice.codec;

import io.sluice.error.ErrorCode;

/** Why a codec refused bytes or a message. */
public enum CodecErrorCode implements ErrorCode {
    /** The bytes do not follow the wire format. */
    MALFORMED("codec.malformed", "The bytes do not follow the wire format."),
    /** The bytes end before the message does. */
    TRUNCATED("codec.truncated", "The bytes end before the message does."),
    /** The message breaks a configured limit (size, element count, string length). */
    LIMIT_EXCEEDED("codec.limit-exceeded", "The message breaks a configured decoder limit."),
    /** The message cannot be written in the wire format. */
    UNENCODABLE("codec.unencodable", "The message cannot be represented in the wire format.");

    private final String code;
    private final String description;

    CodecErrorCode(String code, String description) {
        this.code = code;
        this.description = description;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public String description() {
        return description;
    }
}
