package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Two growable arrays per thread for the copies record ciphers cannot avoid: a record's body out
 * of a direct datagram, or a direct plaintext, goes into the {@link #input} array; a sealed record
 * is written into the {@link #output} array before it is copied once into the direct buffer the
 * socket sends. Two, because a cipher reads one while it writes the other. Bounded by the largest
 * record or datagram a pipe carries; never handed out of the call that asked for them.
 */
final class ScratchArrays {

    private static final FastThreadLocal<byte[][]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[2048], new byte[2048]};
        }
    };

    private ScratchArrays() {
    }

    /** This thread's input array, of at least {@code n} bytes; valid until the caller returns. */
    static byte[] input(int n) {
        return atLeast(0, n);
    }

    /** This thread's output array, of at least {@code n} bytes, never the input array; valid until the caller returns. */
    static byte[] output(int n) {
        return atLeast(1, n);
    }

    /**
     * The readable bytes of {@code b} in an array, for ciphers that take arrays: {@code b}'s own
     * array when it has one, else this thread's input array holding a copy. They start at
     * {@link #offsetOf offsetOf(b)}.
     */
    static byte[] arrayOf(ByteBuf b) {
        if (b.hasArray()) {
            return b.array();
        }
        byte[] copy = input(b.readableBytes());
        b.getBytes(b.readerIndex(), copy, 0, b.readableBytes());
        return copy;
    }

    /** Where {@code b}'s readable bytes start in {@link #arrayOf arrayOf(b)}. */
    static int offsetOf(ByteBuf b) {
        return b.hasArray() ? b.arrayOffset() + b.readerIndex() : 0;
    }

    private static byte[] atLeast(int which, int n) {
        byte[][] arrays = SCRATCH.get();
        byte[] b = arrays[which];
        if (b.length < n) {
            b = new byte[Math.max(n, b.length * 2)];
            arrays[which] = b;
        }
        return b;
    }
}
