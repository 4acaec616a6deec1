package io.sluice.codec;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a message ends in a byte stream.
 *
 * <p>The stream framer calls {@link #frameLength} with the bytes received so far, starting at a
 * frame boundary, and cuts a frame once enough bytes are there. A framing only inspects: it never
 * moves the buffer's indexes, never retains it and never allocates. Implementations are stateless
 * and thread-safe.
 *
 * <p>Length-prefixed formats use {@link LengthFieldFraming}; formats whose length depends on
 * negotiated state (ICE's byte order, for one) implement this interface directly.
 */
@FunctionalInterface
public interface Framing {

    /** Returned by {@link #frameLength} while too few bytes are readable to know the length. */
    int NEED_MORE = -1;

    /**
     * The total length of the frame that starts at {@code buffer.readerIndex()}, header included.
     *
     * @param buffer the bytes received so far, starting at a frame boundary; owned by the caller
     * @return the frame length in bytes (positive), or {@link #NEED_MORE}; the length may be larger
     *     than what is readable yet
     * @throws CodecException when the header is malformed; the offset counts from the frame start
     */
    int frameLength(ByteBuf buffer);
}
