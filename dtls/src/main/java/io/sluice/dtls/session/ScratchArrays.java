package io.sluice.dtls.session;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * One growable array per thread for the copies record ciphers cannot avoid (a record's body out
 * of a direct datagram). Bounded by the largest datagram a pipe delivers; never handed out of the
 * call that asked for it.
 */
final class ScratchArrays {

    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    private ScratchArrays() {
    }

    /** This thread's array, of at least {@code n} bytes; valid until the caller returns. */
    static byte[] atLeast(int n) {
        byte[] b = SCRATCH.get();
        if (b.length < n) {
            b = new byte[Math.max(n, b.length * 2)];
            SCRATCH.set(b);
        }
        return b;
    }
}
