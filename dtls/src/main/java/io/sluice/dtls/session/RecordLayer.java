package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's DTLS 1.2 record protection after the handshake (RFC 6347 §4.1), in place of
 * BouncyCastle's record layer: BouncyCastle runs the handshake; this protects and verifies the
 * application records of the epoch it established, with a {@link RecordCipher} made from the same
 * keys while the master secret still existed ({@link RecordCiphers}).
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
 * {@link #protect} likewise (a different lock). Buffers: datagrams and plaintext passed in stay the
 * caller's; buffers returned, and records handed to {@link Records#applicationData}, are the
 * receiver's.
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
    /** What {@link #unprotect} found; called on the unprotecting thread. */
    interface Records {
        /**
         * An authenticated application record, the receiver's to release.
         *
         * @param newest whether it is newer than every record authenticated before it, the only
         *        kind that may move a session to the address it came from (RFC 9146 §6)
         */
        void applicationData(ByteBuf record, boolean newest);

        /** The peer ended the session: close_notify, or a fatal alert (its description). */
        void alert(boolean fatal, int description);

        /** A record that was dropped: malformed, another epoch, replayed, or not authentic. */
        void dropped();
    }

    /** Where the kept final flight is resent. */
    interface Resend {
        void datagram(byte[] bytes);
    }

    private final RecordCipher cipher;
    private final int epoch;
    /** The connection ID written into this side's records, the peer's choice; empty: plain records. */
    private final byte[] connectionIdOut;
    /** The connection ID the peer's records carry, this side's choice; empty: plain records. */
    private final byte[] connectionIdIn;
    // Writer state, guarded by the caller's write lock.
    private long nextSequence;
    // Reader state, confined to the unprotecting thread.
    private long highest = -1;
    private long seen;
    private volatile List<byte[]> finalFlight;
    private long lastResend;

    private RecordLayer(RecordCipher cipher, int epoch, long nextSequence, List<byte[]> finalFlight, byte[] connectionIdOut,
                        byte[] connectionIdIn) {
        this.cipher = cipher;
        this.epoch = epoch;
        this.connectionIdOut = connectionIdOut;
        this.connectionIdIn = connectionIdIn;
        this.nextSequence = nextSequence;
        this.finalFlight = finalFlight.isEmpty() ? null : finalFlight;
    }

    /**
     * Takes over after a handshake.
     *
     * @param cipher from {@link RecordCiphers#of}
     * @param finalFlight the datagrams of this side's last flight, to resend if the peer asks again; its
     *        epoch-1 records are the last BouncyCastle wrote, so the sequence numbers continue after them
     * @param connectionIdOut the connection ID this side's records carry (BouncyCastle's "local"), null if none
     * @param connectionIdIn the connection ID the peer's records carry (BouncyCastle's "peer"), null if none
     */
    static RecordLayer after(RecordCipher cipher, List<byte[]> finalFlight, byte[] connectionIdOut, byte[] connectionIdIn) {
        byte[] out = connectionIdOut == null ? new byte[0] : connectionIdOut.clone();
        byte[] in = connectionIdIn == null ? new byte[0] : connectionIdIn.clone();
        long highestWritten = -1;
        for (byte[] d : finalFlight) {
            highestWritten = highestEpochOneSequence(d, 0, d.length, highestWritten, out.length);
        }
        return new RecordLayer(cipher, 1, highestWritten + 1, new ArrayList<>(finalFlight), out, in);
    }

    /** @return whether protecting never needs a random number (AEAD), so it may run on an event loop */
    boolean nonBlocking() {
        return cipher.nonBlocking();
    }

    /**
     * Protects one record; the caller holds the write lock.
     *
     * @return the record as one datagram, the caller's to send
     */
    ByteBuf protect(short contentType, ByteBuf plaintext) throws IOException {
        return cipher.seal(epoch, nextSequence++, contentType, connectionIdOut, plaintext);
    }

    /** The sequence number the next record gets; for tests of nonce uniqueness. */
    long nextSequence() {
        return nextSequence;
    }

    /** Verifies and opens every record of one datagram; the caller serializes calls. */
    void unprotect(ByteBuf datagram, Records out, Resend resend) {
        int pos = datagram.readerIndex();
        int n = datagram.writerIndex();
        while (pos < n) {
            if (n - pos < HEADER) {
                out.dropped();
                return;
            }
            short type = datagram.getUnsignedByte(pos);
            int recordEpoch = datagram.getUnsignedShort(pos + 3);
            long sequence = (datagram.getUnsignedInt(pos + 5) << 16) | datagram.getUnsignedShort(pos + 9);
            int cid = type == TLS12_CID ? connectionIdIn.length : 0;
            if (type == TLS12_CID && (cid == 0 || n - pos < HEADER + cid)) {
                out.dropped(); // a CID this side never asked for, or a header cut short: the rest cannot be framed
                return;
            }
            int header = HEADER + cid;
            int length = datagram.getUnsignedShort(pos + header - 2);
            if (datagram.getUnsignedByte(pos + 1) != 0xFE || length > n - pos - header) {
                out.dropped();
                return;
            }
            int start = pos;
            pos += header + length;
            if (recordEpoch == epoch && (cid > 0 ? !connectionIdAt(datagram, start) : connectionIdIn.length > 0)) {
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
            ByteBuf plaintext = cipher.open(epoch, sequence, type, datagram, start, header, length);
            if (plaintext == null) {
                out.dropped();
                continue;
            }
            boolean newest = sequence > highest;
            markSeen(sequence);
            switch (cipher.openedType()) {
                case APPLICATION_DATA -> {
                    finalFlight = null; // the peer has the keys: it cannot need our last flight again
                    out.applicationData(plaintext, newest);
                }
                case ALERT -> {
                    boolean whole = plaintext.readableBytes() == 2;
                    boolean fatal = whole && plaintext.getByte(plaintext.readerIndex()) == 2;
                    int description = whole ? plaintext.getUnsignedByte(plaintext.readerIndex() + 1) : -1;
                    plaintext.release();
                    if (!whole) {
                        out.dropped();
                    } else if (fatal || description == 0) {
                        out.alert(fatal, description);
                        return;
                    }
                }
                case HANDSHAKE -> {
                    plaintext.release();
                    resendFinalFlight(resend); // the peer's Finished again
                }
                default -> {
                    plaintext.release();
                    out.dropped();
                }
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

    private boolean connectionIdAt(ByteBuf datagram, int pos) {
        for (int i = 0; i < connectionIdIn.length; i++) {
            if (datagram.getByte(pos + 11 + i) != connectionIdIn[i]) {
                return false;
            }
        }
        return true;
    }

    /** Writes a record header into {@code b} at {@code o}: type, version, epoch, sequence, [connection ID], length. */
    static void writeHeader(byte[] b, int o, int type, int epoch, long sequence, byte[] connectionId, int length) {
        b[o] = (byte) type;
        b[o + 1] = (byte) 0xFE;
        b[o + 2] = (byte) 0xFD;
        b[o + 3] = (byte) (epoch >>> 8);
        b[o + 4] = (byte) epoch;
        for (int i = 0; i < 6; i++) {
            b[o + 5 + i] = (byte) (sequence >>> (40 - 8 * i));
        }
        System.arraycopy(connectionId, 0, b, o + 11, connectionId.length);
        int at = o + 11 + connectionId.length;
        b[at] = (byte) (length >>> 8);
        b[at + 1] = (byte) length;
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
