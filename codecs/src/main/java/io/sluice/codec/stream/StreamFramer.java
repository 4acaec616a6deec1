package io.sluice.codec.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCounted;
import io.sluice.codec.Framing;
import io.sluice.codec.Limits;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Flux;

/**
 * Cuts a stream of byte chunks (as a TCP connection delivers them) into whole frames.
 *
 * <p>The framer requests one chunk at a time from upstream, and only while the subscriber has
 * demand and no complete frame is already held; so it never holds more than one incomplete frame
 * of at most {@link Limits#maxMessageBytes()} plus the chunk that completes it. The stream fails
 * with a {@link io.sluice.codec.CodecException} (offset counted from the start of the stream) when
 * a frame's declared length exceeds the limit, when no frame boundary is found within the limit,
 * when the framing finds the header malformed, or when the stream ends inside a frame. Frames
 * already cut are delivered before the error.
 *
 * <p>Immutable and thread-safe; one instance can frame any number of streams. Use it with
 * {@code chunks.transform(framer)}. Signals keep the source's threading.
 *
 * <p>Ownership: each chunk is owned by the framer once emitted to it. Each frame emitted is a
 * buffer owned by the subscriber, who releases it; it may be a retained slice of a chunk. On
 * cancellation or error the framer releases everything it holds.
 */
public final class StreamFramer implements Function<Flux<ByteBuf>, Flux<ByteBuf>> {

    private final Framing framing;
    private final int maxFrameBytes;
    private final ByteBufAllocator allocator;

    private StreamFramer(Framing framing, int maxFrameBytes, ByteBufAllocator allocator) {
        this.framing = framing;
        this.maxFrameBytes = maxFrameBytes;
        this.allocator = allocator;
    }

    /**
     * A framer cutting frames by {@code framing}, none larger than {@code limits.maxMessageBytes()}.
     *
     * @param framing finds frame lengths
     * @param limits bounds the frame size
     * @return the framer, merging partial frames in buffers from the default allocator
     */
    public static StreamFramer of(Framing framing, Limits limits) {
        return new StreamFramer(Objects.requireNonNull(framing, "framing"),
                Objects.requireNonNull(limits, "limits").maxMessageBytes(), ByteBufAllocator.DEFAULT);
    }

    /**
     * @param allocator where buffers for frames that span chunks come from
     * @return a copy using {@code allocator}
     */
    public StreamFramer allocator(ByteBufAllocator allocator) {
        return new StreamFramer(framing, maxFrameBytes, Objects.requireNonNull(allocator, "allocator"));
    }

    @Override
    public Flux<ByteBuf> apply(Flux<ByteBuf> chunks) {
        // Chunks queued upstream when the stream is cancelled are released, not left to the GC.
        return new FluxFraming(chunks, framing, maxFrameBytes, allocator)
                .doOnDiscard(ReferenceCounted.class, DatagramDecoder::releaseQuietly);
    }
}
