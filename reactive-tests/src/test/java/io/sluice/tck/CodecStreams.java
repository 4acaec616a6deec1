package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.testing.PrefixedTextCodec;
import reactor.core.publisher.Flux;

/**
 * Inputs for the codec operator verifications. The TCK's subscriber never releases what it
 * receives, so the buffers here come from allocators without leak tracking.
 */
final class CodecStreams {

    private CodecStreams() {
    }

    static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(false, true);
    static final PrefixedTextCodec CODEC = new PrefixedTextCodec();

    static Flux<ByteBuf> messages(long count) {
        return Flux.range(0, (int) count).map(i -> CODEC.encode("message " + i, UNTRACKED));
    }

    /** Three messages per chunk, with chunk boundaries falling inside frames. */
    static Flux<ByteBuf> chunks(long count) {
        ByteBuf all = UNTRACKED.buffer();
        for (long i = 0; i < count; i++) {
            CODEC.encode("message " + i, all);
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        all.release();
        int chunk = 37;
        return Flux.range(0, (bytes.length + chunk - 1) / chunk)
                .map(i -> Unpooled.wrappedBuffer(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk)));
    }
}
