package io.sluice.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Turns one whole message of type {@code M} into bytes and back.
 *
 * <p>A codec knows one wire format and nothing about transports: it is handed exactly the bytes of
 * one message (a datagram, or a frame cut out of a stream by a {@link Framing}) and never opens a
 * socket. Implementations are stateless and thread-safe; one instance serves every connection.
 *
 * <h2>Buffer ownership</h2>
 * <ul>
 *   <li>{@link #decode}: the caller owns {@code in} and releases it after the call. The codec reads
 *       from {@code in} (its reader index may move) and never releases it. A message that keeps
 *       bytes of {@code in} takes its own reference with {@code readRetainedSlice}; such a message
 *       type implements {@link io.netty.util.ReferenceCounted} and its consumer releases it.</li>
 *   <li>{@link #encode(Object, ByteBuf)}: the caller owns {@code out}; the codec writes the whole
 *       message into it and keeps no reference to it or to buffers inside {@code message}, which
 *       stays owned by the caller.</li>
 * </ul>
 *
 * @param <M> the message type
 */
public interface MessageCodec<M> {

    /**
     * Decodes the message held in the readable bytes of {@code in}.
     *
     * <p>Trailing bytes after a complete message are the format's business: most formats reject
     * them as malformed.
     *
     * @param in the bytes of exactly one message; owned and released by the caller
     * @param limits the limits this decode must stay within
     * @return the message, never {@code null}
     * @throws CodecException when the bytes are malformed, truncated or break {@code limits}; the
     *     offset counts from the first readable byte of {@code in}
     */
    M decode(ByteBuf in, Limits limits);

    /**
     * Writes {@code message} to {@code out}.
     *
     * @param message the message; still owned by the caller afterwards
     * @param out where to write; owned by the caller
     * @throws CodecException {@link CodecErrorCode#UNENCODABLE} when the message cannot be
     *     represented; {@code out} may then hold a partial message
     */
    void encode(M message, ByteBuf out);

    /**
     * Encodes {@code message} into a new buffer from {@code allocator}.
     *
     * @param message the message; still owned by the caller afterwards
     * @param allocator where the buffer comes from
     * @return a buffer holding exactly the encoded message, owned by the caller, who must release
     *     it (or hand it to a transport, which then does)
     * @throws CodecException when the message cannot be represented; no buffer is leaked
     */
    default ByteBuf encode(M message, ByteBufAllocator allocator) {
        ByteBuf out = allocator.buffer();
        try {
            encode(message, out);
            return out;
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }
}
