package io.sluice.dtls.session;

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
