package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * The protection of one session's application epoch, both directions: what {@link RecordLayer}
 * calls to seal a record for the wire and to open one from it. The layer frames records, keeps
 * sequence numbers and the replay window; a cipher only turns plaintext into a record and back.
 *
 * <p>Threading: {@link #seal} is called by one thread at a time, {@link #open} likewise (the
 * layer's callers serialize each direction); the two may run at once. Buffers: arguments stay
 * the caller's; what is returned is a new buffer the caller owns.
 */
interface RecordCipher {

    /** The largest plaintext a record may carry (RFC 6347 §4.1: 2^14 bytes). */
    int PLAINTEXT_LIMIT = 1 << 14;

    /**
     * Protects one record and writes it, header included, into a new buffer.
     *
     * @param sequence the record's sequence number within {@code epoch}
     * @param contentType the record's real content type
     * @param connectionId the connection ID the record carries (RFC 9146), empty for a plain record
     * @param plaintext the readable bytes are protected; not consumed or released
     * @return the record, ready to send as one datagram
     */
    ByteBuf seal(int epoch, long sequence, short contentType, byte[] connectionId, ByteBuf plaintext) throws IOException;

    /**
     * Verifies and opens one record of a datagram.
     *
     * @param recordType the type in the record's header (tls12_cid for records carrying a connection ID)
     * @param datagram the datagram; not consumed or released
     * @param start where the record's header starts in {@code datagram}
     * @param header the header's length (13, plus the connection ID's length)
     * @param length the length of the protected body after the header
     * @return the plaintext, or null if the record is not authentic or malformed; its real
     *         content type is then {@link #openedType()}
     */
    ByteBuf open(int epoch, long sequence, short recordType, ByteBuf datagram, int start, int header, int length);

    /** The real content type of the record {@link #open} last opened; on the opening thread. */
    short openedType();

    /** @return whether sealing never needs a random number (AEAD), so it may run on an event loop */
    boolean nonBlocking();

    /** The 64-bit sequence number of RFC 6347 §4.1 that ciphers authenticate: epoch, then sequence. */
    static long macSequence(int epoch, long sequence) {
        return ((epoch & 0xFFFFL) << 48) | sequence;
    }
}
