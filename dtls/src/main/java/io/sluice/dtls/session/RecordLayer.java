package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.CipherType;
import org.bouncycastle.tls.EncryptionAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;

/**
 * A session's DTLS 1.2 record protection after the handshake (RFC 6347 §4.1), in place of
 * BouncyCastle's record layer: BouncyCastle runs the handshake; this protects and verifies the
 * application records of the epoch it established, with a cipher made from the same keys
 * ({@link TlsCipher} from the handshake's crypto, created while the master secret still exists).
 * Nothing here blocks, so both directions run on whichever thread has the record, the event loop
 * included, with no hop.
 *
 * <p>One writer per epoch: once the handshake is done BouncyCastle never writes again (the session
 * does not use its transport afterwards), and this layer's sequence numbers continue after the
 * highest one BouncyCastle used in the epoch, so no (epoch, sequence) pair, and thus no AEAD nonce,
 * repeats. The final flight BouncyCastle sent is kept and resent byte for byte when the peer
 * retransmits its own last flight (a sign ours was lost), until the peer's first authenticated
 * application record shows it has the keys.
 *
 * <p>Inbound, a record is accepted only from the current epoch, inside the replay window
 * (RFC 6347 §4.1.2.6, 64 records), and only if it authenticates; everything else is dropped and
 * counted by the caller, never ending the session (RFC 6347 §4.1.2.7).
 *
 * <p>Threading: {@link #unprotect} is called by one thread at a time (the caller serializes);
 * {@link #protect} likewise (a different lock). Buffers: datagrams passed in stay the caller's;
 * buffers returned are the caller's.
 */
final class RecordLayer {

    static final int HEADER = 13;
    private static final short CHANGE_CIPHER_SPEC = 20;
    private static final short ALERT = 21;
    private static final short HANDSHAKE = 22;
    private static final short APPLICATION_DATA = 23;
    private static final int WINDOW = 64;
    /** A retransmitted peer flight carries several records; one resend of ours answers it. */
    private static final long RESEND_INTERVAL_NANOS = 250_000_000L;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    /** What {@link #unprotect} found; called on the unprotecting thread. */
    interface Records {
        /** An authenticated application record; the bytes are only valid during the call. */
        void applicationData(byte[] buf, int off, int len);

        /** The peer ended the session: close_notify, or a fatal alert (its description). */
        void alert(boolean fatal, int description);

        /** A record that was dropped: malformed, another epoch, replayed, or not authentic. */
        void dropped();
    }

    /** Where the kept final flight is resent. */
    interface Resend {
        void datagram(byte[] bytes);
    }

    private final TlsCipher cipher;
    private final int epoch;
    private final boolean nonBlocking;
    private final int plaintextLimit;
    // Writer state, guarded by the caller's write lock.
    private long nextSequence;
    // Reader state, confined to the unprotecting thread.
    private long highest = -1;
    private long seen;
    private volatile List<byte[]> finalFlight;
    private long lastResend;

    private RecordLayer(TlsCipher cipher, int epoch, long nextSequence, boolean nonBlocking, List<byte[]> finalFlight) {
        this.cipher = cipher;
        this.epoch = epoch;
        this.nextSequence = nextSequence;
        this.nonBlocking = nonBlocking;
        this.finalFlight = finalFlight.isEmpty() ? null : finalFlight;
        this.plaintextLimit = cipher.getPlaintextDecodeLimit(1 << 14);
    }

    /**
     * The cipher of a completed handshake, made while its master secret still exists (in
     * {@code notifyHandshakeComplete}); null for what this layer does not take over (connection
     * IDs, whose record format and routing stay with BouncyCastle).
     */
    static TlsCipher cipherFor(TlsContext context) throws IOException {
        var params = context.getSecurityParametersConnection();
        if (params.getConnectionIDLocal() != null || params.getConnectionIDPeer() != null) {
            return null;
        }
        int suite = params.getCipherSuite();
        // BouncyCastle's cipher keeps its crypto parameters, and they their context (parameters,
        // nonce generator, session: kilobytes per session), though an AEAD cipher reads them only
        // while it is made. So it is made over a context that lets go of the real one right after.
        Detachable detachable = new Detachable(context, params);
        TlsContext view = (TlsContext) java.lang.reflect.Proxy.newProxyInstance(TlsContext.class.getClassLoader(),
                new Class<?>[] {TlsContext.class}, detachable);
        TlsCryptoParameters crypto = new TlsCryptoParameters(view) {
            // BouncyCastle's cipher reads the keys from the handshake's parameters, which the
            // context has already moved to the connection's by the time the handshake completes.
            @Override
            public org.bouncycastle.tls.SecurityParameters getSecurityParametersHandshake() {
                return detachable.params();
            }
        };
        try {
            int encryption = TlsUtils.getEncryptionAlgorithm(suite);
            TlsCipher cipher = encryption == EncryptionAlgorithm.AES_128_GCM || encryption == EncryptionAlgorithm.AES_256_GCM
                    ? jdkGcm(crypto, encryption == EncryptionAlgorithm.AES_128_GCM ? 16 : 32)
                    : context.getCrypto().createCipher(crypto, encryption, TlsUtils.getMACAlgorithm(suite));
            if (TlsUtils.getCipherType(suite) != CipherType.aead) {
                detachable.keep(); // block ciphers draw explicit IVs from the context's nonce generator
            }
            return cipher;
        } finally {
            detachable.detach();
        }
    }

    /** AES-GCM records (RFC 5288) on the JDK's cipher through {@link JdkGcm}; the same construction BouncyCastle's crypto makes. */
    private static TlsCipher jdkGcm(TlsCryptoParameters crypto, int keySize) throws IOException {
        try {
            java.security.SecureRandom random = DtlsRuntime.CRYPTO.getSecureRandom();
            return new org.bouncycastle.tls.crypto.impl.TlsAEADCipher(crypto,
                    new JdkGcm(DtlsRuntime.cipher("AES/GCM/NoPadding"), true, random),
                    new JdkGcm(DtlsRuntime.cipher("AES/GCM/NoPadding"), false, random),
                    keySize, 16, org.bouncycastle.tls.crypto.impl.TlsAEADCipher.AEAD_GCM, null);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("no AES-GCM cipher: " + e.getMessage(), e);
        }
    }

    /** Delegates to a context until detached, then refuses (or, kept, delegates for good). */
    private static final class Detachable implements java.lang.reflect.InvocationHandler {
        private volatile TlsContext target;
        private volatile org.bouncycastle.tls.SecurityParameters params;
        private volatile boolean kept;

        Detachable(TlsContext target, org.bouncycastle.tls.SecurityParameters params) {
            this.target = target;
            this.params = params;
        }

        org.bouncycastle.tls.SecurityParameters params() {
            org.bouncycastle.tls.SecurityParameters p = params;
            if (p == null) {
                throw new IllegalStateException("the handshake's parameters are gone: its record cipher is already made");
            }
            return p;
        }

        void keep() {
            kept = true;
        }

        void detach() {
            if (!kept) {
                target = null;
                params = null;
            }
        }

        @Override
        public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "TlsContext view";
                };
            }
            TlsContext t = target;
            if (t == null) {
                throw new IllegalStateException("the handshake's context is gone: its record cipher is already made");
            }
            try {
                return method.invoke(t, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    /**
     * Takes over after a handshake.
     *
     * @param cipher from {@link #cipherFor}
     * @param suite the negotiated suite (AEAD suites protect without any random numbers, so on the event loop too)
     * @param highestWritten the highest epoch-1 sequence number BouncyCastle wrote, -1 if none
     * @param finalFlight the datagrams of this side's last flight, to resend if the peer asks again
     */
    static RecordLayer after(TlsCipher cipher, int suite, long highestWritten, List<byte[]> finalFlight) {
        boolean aead = TlsUtils.getCipherType(suite) == CipherType.aead;
        return new RecordLayer(cipher, 1, highestWritten + 1, aead, new ArrayList<>(finalFlight));
    }

    /** @return whether protecting never needs a random number (AEAD), so it may run on an event loop */
    boolean nonBlocking() {
        return nonBlocking;
    }

    /**
     * Protects one record; the caller holds the write lock.
     *
     * @return the record as one datagram, the caller's to send
     */
    ByteBuf protect(short contentType, byte[] plaintext, int off, int len) throws IOException {
        long sequence = nextSequence++;
        TlsEncodeResult encoded = cipher.encodePlaintext(macSequence(epoch, sequence), contentType, ProtocolVersion.DTLSv12, HEADER,
                plaintext, off, len);
        int ciphertext = encoded.len - HEADER;
        byte[] b = encoded.buf;
        int o = encoded.off;
        b[o] = (byte) encoded.recordType;
        b[o + 1] = (byte) 0xFE;
        b[o + 2] = (byte) 0xFD;
        b[o + 3] = (byte) (epoch >>> 8);
        b[o + 4] = (byte) epoch;
        for (int i = 0; i < 6; i++) {
            b[o + 5 + i] = (byte) (sequence >>> (40 - 8 * i));
        }
        b[o + 11] = (byte) (ciphertext >>> 8);
        b[o + 12] = (byte) ciphertext;
        // The cipher made this array for this record alone, so the datagram can wrap it.
        return Unpooled.wrappedBuffer(b, o, encoded.len);
    }

    /** The sequence number the next record gets; for tests of nonce uniqueness. */
    long nextSequence() {
        return nextSequence;
    }

    /** Verifies and opens every record of one datagram; the caller serializes calls. */
    void unprotect(ByteBuf datagram, Records out, Resend resend) {
        int n = datagram.readableBytes();
        byte[] buf = SCRATCH.get();
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
            SCRATCH.set(buf);
        }
        datagram.getBytes(datagram.readerIndex(), buf, 0, n);
        int pos = 0;
        while (pos < n) {
            if (n - pos < HEADER) {
                out.dropped();
                return;
            }
            short type = (short) (buf[pos] & 0xFF);
            int recordEpoch = epochAt(buf, pos);
            long sequence = sequenceAt(buf, pos);
            int length = lengthAt(buf, pos);
            int body = pos + HEADER;
            if ((buf[pos + 1] & 0xFF) != 0xFE || length > n - body) {
                out.dropped();
                return;
            }
            pos = body + length;
            if (recordEpoch != epoch) {
                if (recordEpoch == epoch - 1 && type == CHANGE_CIPHER_SPEC) {
                    resendFinalFlight(resend); // the peer is repeating its last flight: ours was lost
                } else {
                    out.dropped();
                }
                continue;
            }
            if (isReplay(sequence)) {
                out.dropped();
                continue;
            }
            TlsDecodeResult decoded;
            try {
                decoded = cipher.decodeCiphertext(macSequence(epoch, sequence), type, ProtocolVersion.DTLSv12, buf, body, length);
            } catch (IOException | RuntimeException notAuthentic) {
                out.dropped();
                continue;
            }
            if (decoded.len > plaintextLimit) {
                out.dropped();
                continue;
            }
            markSeen(sequence);
            switch (decoded.contentType) {
                case APPLICATION_DATA -> {
                    finalFlight = null; // the peer has the keys: it cannot need our last flight again
                    out.applicationData(decoded.buf, decoded.off, decoded.len);
                }
                case ALERT -> {
                    if (decoded.len == 2) {
                        boolean fatal = decoded.buf[decoded.off] == 2;
                        int description = decoded.buf[decoded.off + 1] & 0xFF;
                        if (fatal || description == 0) {
                            out.alert(fatal, description);
                            return;
                        }
                    } else {
                        out.dropped();
                    }
                }
                case HANDSHAKE -> resendFinalFlight(resend); // the peer's Finished again
                default -> out.dropped();
            }
        }
    }

    private void resendFinalFlight(Resend resend) {
        List<byte[]> flight = finalFlight;
        long now = System.nanoTime();
        if (flight == null || (lastResend != 0 && now - lastResend < RESEND_INTERVAL_NANOS)) {
            return;
        }
        lastResend = now;
        for (byte[] d : flight) {
            resend.datagram(d);
        }
    }

    private boolean isReplay(long sequence) {
        if (sequence > highest) {
            return false;
        }
        long age = highest - sequence;
        return age >= WINDOW || (seen & (1L << age)) != 0;
    }

    private void markSeen(long sequence) {
        if (sequence > highest) {
            long shift = sequence - highest;
            seen = shift >= WINDOW ? 1L : (seen << shift) | 1L;
            highest = sequence;
        } else {
            seen |= 1L << (highest - sequence);
        }
    }

    private static long macSequence(int epoch, long sequence) {
        return ((epoch & 0xFFFFL) << 48) | sequence;
    }

    /** The highest epoch-1 sequence number among the records of a datagram this side wrote, or {@code max} if none is higher. */
    static long highestEpochOneSequence(byte[] datagram, int off, int len, long max) {
        int pos = off;
        int end = off + len;
        while (end - pos >= HEADER) {
            long sequence = sequenceAt(datagram, pos);
            if (epochAt(datagram, pos) == 1 && sequence > max) {
                max = sequence;
            }
            pos += HEADER + lengthAt(datagram, pos);
        }
        return max;
    }

    // The fields of a DTLS 1.2 record header at {@code pos}: type(1) version(2) epoch(2) sequence(6) length(2).

    private static int epochAt(byte[] b, int pos) {
        return ((b[pos + 3] & 0xFF) << 8) | (b[pos + 4] & 0xFF);
    }

    private static long sequenceAt(byte[] b, int pos) {
        long sequence = 0;
        for (int i = 5; i < 11; i++) {
            sequence = (sequence << 8) | (b[pos + i] & 0xFF);
        }
        return sequence;
    }

    private static int lengthAt(byte[] b, int pos) {
        return ((b[pos + 11] & 0xFF) << 8) | (b[pos + 12] & 0xFF);
    }
}
