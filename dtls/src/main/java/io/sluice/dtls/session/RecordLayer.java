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
 * <p>Connection IDs (RFC 9146): where one was agreed for a direction, that direction's records
 * are tls12_cid records carrying it between the sequence number and the length; a record of the
 * live epoch without it, or with another, is dropped. Which address a session follows is the
 * caller's: {@link Records#applicationData} says whether a record is the newest authenticated one.
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
    /** A record carrying the receiver's connection ID, its real type inside the protection (RFC 9146 §4). */
    private static final short TLS12_CID = 25;
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
        /**
         * An authenticated application record; the bytes are only valid during the call.
         *
         * @param newest whether it is newer than every record authenticated before it, the only
         *        kind that may move a session to the address it came from (RFC 9146 §6)
         */
        void applicationData(byte[] buf, int off, int len, boolean newest);

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
    /** The connection ID written into this side's records, the peer's choice; empty: plain records. */
    private final byte[] connectionIdOut;
    /** The connection ID the peer's records carry, this side's choice; empty: plain records. */
    private final byte[] connectionIdIn;
    private final boolean nonBlocking;
    private final int plaintextLimit;
    // Writer state, guarded by the caller's write lock.
    private long nextSequence;
    // Reader state, confined to the unprotecting thread.
    private long highest = -1;
    private long seen;
    private volatile List<byte[]> finalFlight;
    private long lastResend;

    private RecordLayer(TlsCipher cipher, int epoch, long nextSequence, boolean nonBlocking, List<byte[]> finalFlight,
                        byte[] connectionIdOut, byte[] connectionIdIn) {
        this.cipher = cipher;
        this.epoch = epoch;
        this.connectionIdOut = connectionIdOut;
        this.connectionIdIn = connectionIdIn;
        this.nextSequence = nextSequence;
        this.nonBlocking = nonBlocking;
        this.finalFlight = finalFlight.isEmpty() ? null : finalFlight;
        this.plaintextLimit = cipher.getPlaintextDecodeLimit(1 << 14);
    }

    /**
     * The cipher of a completed handshake, made while its master secret still exists (in
     * {@code notifyHandshakeComplete}). With connection IDs the cipher wraps and authenticates
     * records in RFC 9146's form itself (inner plaintext, the CID in the additional data).
     */
    static TlsCipher cipherFor(TlsContext context) throws IOException {
        var params = context.getSecurityParametersConnection();
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
     * @param finalFlight the datagrams of this side's last flight, to resend if the peer asks again; its
     *        epoch-1 records are the last BouncyCastle wrote, so the sequence numbers continue after them
     * @param connectionIdOut the connection ID this side's records carry (BouncyCastle's "local"), null if none
     * @param connectionIdIn the connection ID the peer's records carry (BouncyCastle's "peer"), null if none
     */
    static RecordLayer after(TlsCipher cipher, int suite, List<byte[]> finalFlight, byte[] connectionIdOut, byte[] connectionIdIn) {
        boolean aead = TlsUtils.getCipherType(suite) == CipherType.aead;
        byte[] out = connectionIdOut == null ? new byte[0] : connectionIdOut.clone();
        byte[] in = connectionIdIn == null ? new byte[0] : connectionIdIn.clone();
        long highestWritten = -1;
        for (byte[] d : finalFlight) {
            highestWritten = highestEpochOneSequence(d, 0, d.length, highestWritten, out.length);
        }
        return new RecordLayer(cipher, 1, highestWritten + 1, aead, new ArrayList<>(finalFlight), out, in);
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
        int header = HEADER + connectionIdOut.length;
        TlsEncodeResult encoded = cipher.encodePlaintext(macSequence(epoch, sequence), contentType, ProtocolVersion.DTLSv12, header,
                plaintext, off, len);
        int ciphertext = encoded.len - header;
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
        System.arraycopy(connectionIdOut, 0, b, o + 11, connectionIdOut.length);
        b[o + header - 2] = (byte) (ciphertext >>> 8);
        b[o + header - 1] = (byte) ciphertext;
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
            int cid = type == TLS12_CID ? connectionIdIn.length : 0;
            if (type == TLS12_CID && (cid == 0 || n - pos < HEADER + cid)) {
                out.dropped(); // a CID this side never asked for, or a header cut short: the rest cannot be framed
                return;
            }
            int length = lengthAt(buf, pos, cid);
            int body = pos + HEADER + cid;
            if ((buf[pos + 1] & 0xFF) != 0xFE || length > n - body) {
                out.dropped();
                return;
            }
            int start = pos;
            pos = body + length;
            if (recordEpoch == epoch && (cid > 0 ? !connectionIdAt(buf, start) : connectionIdIn.length > 0)) {
                out.dropped(); // another session's CID, or a plain record where RFC 9146 §4 requires the CID form
                continue;
            }
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
            boolean newest = sequence > highest;
            markSeen(sequence);
            switch (decoded.contentType) {
                case APPLICATION_DATA -> {
                    finalFlight = null; // the peer has the keys: it cannot need our last flight again
                    out.applicationData(decoded.buf, decoded.off, decoded.len, newest);
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

    /**
     * The highest epoch-1 sequence number among the records of a datagram this side wrote, or
     * {@code max} if none is higher.
     *
     * @param cidLength the length of the connection ID in this side's tls12_cid records
     */
    static long highestEpochOneSequence(byte[] datagram, int off, int len, long max, int cidLength) {
        int pos = off;
        int end = off + len;
        while (end - pos >= HEADER) {
            long sequence = sequenceAt(datagram, pos);
            if (epochAt(datagram, pos) == 1 && sequence > max) {
                max = sequence;
            }
            int cid = (datagram[pos] & 0xFF) == TLS12_CID ? cidLength : 0;
            if (end - pos < HEADER + cid) {
                break;
            }
            pos += HEADER + cid + lengthAt(datagram, pos, cid);
        }
        return max;
    }

    private boolean connectionIdAt(byte[] b, int pos) {
        return java.util.Arrays.equals(b, pos + 11, pos + 11 + connectionIdIn.length, connectionIdIn, 0, connectionIdIn.length);
    }

    // The fields of a DTLS 1.2 record header at {@code pos}: type(1) version(2) epoch(2) sequence(6)
    // [connection ID, tls12_cid records only (RFC 9146 §4)] length(2).

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

    private static int lengthAt(byte[] b, int pos, int cidLength) {
        return ((b[pos + 11 + cidLength] & 0xFF) << 8) | (b[pos + 12 + cidLength] & 0xFF);
    }
}
