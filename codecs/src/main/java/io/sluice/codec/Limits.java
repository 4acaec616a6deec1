package io.sluice.codec;

/**
 * The hard limits a decoder works within. Every decoder takes one; nothing a peer sends can make a
 * decoder allocate or loop beyond them.
 *
 * <p>Immutable: each {@code with…} method returns a new value. Start from {@link #defaults()}.
 *
 * @param maxMessageBytes the largest message (or stream frame) in bytes, header included
 * @param maxElements the most repeated elements in one message (options, fields, list entries)
 * @param maxStringBytes the longest string or opaque value in one element, in bytes
 */
public record Limits(int maxMessageBytes, int maxElements, int maxStringBytes) {

    private static final Limits DEFAULTS = new Limits(64 * 1024, 256, 8 * 1024);

    /**
     * Checks that every limit is positive.
     *
     * @param maxMessageBytes the largest message in bytes
     * @param maxElements the most repeated elements
     * @param maxStringBytes the longest string in bytes
     */
    public Limits {
        requirePositive("maxMessageBytes", maxMessageBytes);
        requirePositive("maxElements", maxElements);
        requirePositive("maxStringBytes", maxStringBytes);
    }

    /**
     * 64 KiB messages, 256 elements, 8 KiB strings.
     *
     * @return the default limits
     */
    public static Limits defaults() {
        return DEFAULTS;
    }

    /**
     * @param bytes the largest message in bytes
     * @return a copy with that message size limit
     */
    public Limits withMaxMessageBytes(int bytes) {
        return new Limits(bytes, maxElements, maxStringBytes);
    }

    /**
     * @param count the most repeated elements in one message
     * @return a copy with that element limit
     */
    public Limits withMaxElements(int count) {
        return new Limits(maxMessageBytes, count, maxStringBytes);
    }

    /**
     * @param bytes the longest string in bytes
     * @return a copy with that string limit
     */
    public Limits withMaxStringBytes(int bytes) {
        return new Limits(maxMessageBytes, maxElements, bytes);
    }

    /**
     * Fails unless a message of {@code size} bytes is allowed.
     *
     * @param size the message size
     * @throws CodecException {@link CodecErrorCode#LIMIT_EXCEEDED} at offset {@code maxMessageBytes}
     */
    public void checkMessageBytes(long size) {
        if (size > maxMessageBytes) {
            throw CodecException.limitExceeded(maxMessageBytes,
                    "message of " + size + " bytes exceeds the limit of " + maxMessageBytes);
        }
    }

    /**
     * Fails unless {@code count} elements are allowed.
     *
     * @param count the element count reached
     * @param offset where the element that breaks the limit starts
     * @throws CodecException {@link CodecErrorCode#LIMIT_EXCEEDED}
     */
    public void checkElements(int count, long offset) {
        if (count > maxElements) {
            throw CodecException.limitExceeded(offset,
                    "more than " + maxElements + " elements in one message");
        }
    }

    /**
     * Fails unless a string of {@code length} bytes is allowed.
     *
     * @param length the declared string length
     * @param offset where the string starts
     * @throws CodecException {@link CodecErrorCode#LIMIT_EXCEEDED}
     */
    public void checkStringBytes(long length, long offset) {
        if (length > maxStringBytes) {
            throw CodecException.limitExceeded(offset,
                    "string of " + length + " bytes exceeds the limit of " + maxStringBytes);
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
