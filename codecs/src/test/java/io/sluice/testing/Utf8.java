package io.sluice.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/** Text in and out of {@code ByteBuf}s for tests that exchange strings. */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * A new buffer holding {@code text}; the caller (or whoever it hands it to) releases it.
     *
     * @param text the text
     * @return the buffer
     */
    public static ByteBuf buffer(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    /**
     * Reads a buffer as text and releases it.
     *
     * @param buffer the buffer; released here
     * @return its text
     */
    public static String read(ByteBuf buffer) {
        try {
            return buffer.toString(StandardCharsets.UTF_8);
        } finally {
            buffer.release();
        }
    }
}
