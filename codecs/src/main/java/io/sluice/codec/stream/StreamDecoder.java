package io.sluice.codec.stream;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.sluice.codec.CodecException;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Flux;

/**
 * Frames a byte stream with a {@link StreamFramer} and decodes each frame with a
 * {@link MessageCodec}.
 *
 * <p>On a stream, unlike on datagrams, one bad message leaves the rest of the stream without a
 * reliable boundary, so the first framing or decoding failure ends the stream with a
 * {@link CodecException} (decode offsets count from the start of the failing frame). The protocol
 * layer above turns that into its own error (an ICE Error message, a CoAP Abort) and closes the
 * connection.
 *
 * <p>Immutable and thread-safe. Use with {@code chunks.transform(decoder)}. Ownership is as for
 * {@link StreamFramer}; each frame is released once decoded, and decoded messages are owned by the
 * subscriber.
 *
 * @param <M> the message type
 */
public final class StreamDecoder<M> implements Function<Flux<ByteBuf>, Flux<M>> {

    private final StreamFramer framer;
    private final MessageCodec<M> codec;
    private final Limits limits;

    private StreamDecoder(StreamFramer framer, MessageCodec<M> codec, Limits limits) {
        this.framer = framer;
        this.codec = codec;
        this.limits = limits;
    }

    /**
     * A decoder cutting frames with {@code framing} and decoding them with {@code codec}, both
     * within {@code limits}.
     *
     * @param framing finds frame boundaries
     * @param codec decodes one frame
     * @param limits bounds frames and messages
     * @param <M> the message type
     * @return the decoder
     */
    public static <M> StreamDecoder<M> of(Framing framing, MessageCodec<M> codec, Limits limits) {
        return new StreamDecoder<>(StreamFramer.of(framing, limits), Objects.requireNonNull(codec, "codec"), limits);
    }

    @Override
    public Flux<M> apply(Flux<ByteBuf> chunks) {
        return chunks.transform(framer).<M>handle((frame, sink) -> {
            int start = frame.readerIndex();
            M message;
            try {
                message = codec.decode(frame, limits);
            } catch (CodecException e) {
                sink.error(e);
                return;
            } catch (RuntimeException e) {
                sink.error(CodecException.unexpected(frame.readerIndex() - start, e));
                return;
            } finally {
                frame.release();
            }
            sink.next(message);
        }).doOnDiscard(ReferenceCounted.class, DatagramDecoder::releaseQuietly);
    }
}
