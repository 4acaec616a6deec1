package io.sluice.codec.stream;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Flux;

/**
 * Decodes a stream of datagrams, one message each.
 *
 * <p>A datagram that is larger than {@link Limits#maxMessageBytes()} or fails to decode is dropped:
 * it is released, counted in {@link #dropped()}, handed to the {@linkplain #onDrop drop listener},
 * and the stream goes on with the next datagram. Use it with {@code datagrams.transform(decoder)}.
 *
 * <p>Instances are immutable apart from their counters, which add up over every stream the decoder
 * is applied to; share one instance to count across streams, or create one per stream. Signals keep
 * the source's threading; the drop listener runs on the thread that delivered the bad datagram and
 * must not block.
 *
 * <p>Ownership: each input datagram is owned by this operator once emitted to it and is released
 * after decoding. Decoded messages are owned by the subscriber; messages discarded by Reactor on
 * cancellation are released if they are {@link ReferenceCounted}.
 *
 * @param <M> the message type
 */
public final class DatagramDecoder<M> implements Function<Flux<ByteBuf>, Flux<M>> {

    private static final Consumer<CodecException> IGNORE = e -> { };

    private final MessageCodec<M> codec;
    private final Limits limits;
    private final Consumer<? super CodecException> dropListener;
    private final LongAdder decoded;
    private final LongAdder dropped;

    private DatagramDecoder(MessageCodec<M> codec, Limits limits, Consumer<? super CodecException> dropListener,
                            LongAdder decoded, LongAdder dropped) {
        this.codec = codec;
        this.limits = limits;
        this.dropListener = dropListener;
        this.decoded = decoded;
        this.dropped = dropped;
    }

    /**
     * A decoder for {@code codec} within {@code limits}.
     *
     * @param codec the message codec
     * @param limits the limits every datagram is decoded within
     * @param <M> the message type
     * @return a new decoder with its own counters
     */
    public static <M> DatagramDecoder<M> of(MessageCodec<M> codec, Limits limits) {
        return new DatagramDecoder<>(Objects.requireNonNull(codec, "codec"), Objects.requireNonNull(limits, "limits"),
                IGNORE, new LongAdder(), new LongAdder());
    }

    /**
     * A copy that also tells {@code listener} about each dropped datagram; the copy shares this
     * decoder's counters.
     *
     * @param listener called with the reason of each drop; must not block
     * @return the copy
     */
    public DatagramDecoder<M> onDrop(Consumer<? super CodecException> listener) {
        return new DatagramDecoder<>(codec, limits, Objects.requireNonNull(listener, "listener"), decoded, dropped);
    }

    /** @return how many datagrams were decoded into messages */
    public long decoded() {
        return decoded.sum();
    }

    /** @return how many datagrams were dropped as too large or undecodable */
    public long dropped() {
        return dropped.sum();
    }

    @Override
    public Flux<M> apply(Flux<ByteBuf> datagrams) {
        return datagrams.<M>handle((datagram, sink) -> {
            M message = null;
            try {
                message = decode(datagram);
            } finally {
                datagram.release();
            }
            if (message != null) {
                decoded.increment();
                sink.next(message);
            }
        }).doOnDiscard(ReferenceCounted.class, DatagramDecoder::releaseQuietly);
    }

    private M decode(ByteBuf datagram) {
        int start = datagram.readerIndex();
        try {
            limits.checkMessageBytes(datagram.readableBytes());
            return codec.decode(datagram, limits);
        } catch (CodecException e) {
            drop(e);
        } catch (RuntimeException e) {
            // A codec that trips over bytes it did not expect (reading past the end, mostly) has
            // found malformed input, not a reason to end the stream.
            drop(CodecException.unexpected(datagram.readerIndex() - start, e));
        }
        return null;
    }

    private void drop(CodecException reason) {
        dropped.increment();
        dropListener.accept(reason);
    }

    static void releaseQuietly(ReferenceCounted message) {
        if (message.refCnt() > 0) {
            message.release();
        }
    }
}
