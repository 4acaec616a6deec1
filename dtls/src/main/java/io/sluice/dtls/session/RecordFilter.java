package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;

/**
 * Drops datagrams BouncyCastle must not see. BouncyCastle 1.83 ends a session with a fatal
 * decode_error when a record of the live epoch is too short for its AEAD cipher, although RFC 6347
 * §4.1.2.7 says invalid records are to be discarded silently; anyone who can spoof the peer's
 * address could kill a session with one datagram. So every record of a datagram is checked first:
 * a complete header, a DTLS content type and version, a length within the datagram, and, for
 * protected epochs, at least the 16 bytes of authentication tag every AEAD suite adds. A datagram
 * with any bad record is dropped whole.
 *
 * <p>A tls12_cid record (RFC 9146) carries the receiver's connection ID between the sequence number
 * and the length, so its header is 13 bytes plus the CID; it is acceptable only to a receiver that
 * negotiated a non-empty CID, and only in a protected epoch.
 */
final class RecordFilter {

    private static final int HEADER = 13;
    /** The smallest protected record: a 16-byte tag (GCM adds an 8-byte explicit nonce on top). */
    private static final int MIN_PROTECTED = 16;
    /** The content type of a record carrying a connection ID (RFC 9146 §4). */
    static final int TLS12_CID = 25;

    private RecordFilter() {
    }

    /**
     * Whether BouncyCastle may see this datagram.
     *
     * @param datagram the datagram, not consumed
     * @param cidLength the length of the connection ID this side receives, 0 if none
     * @return true if every record in it is well formed
     */
    static boolean acceptable(ByteBuf datagram, int cidLength) {
        int i = datagram.readerIndex();
        int end = datagram.writerIndex();
        if (i == end) {
            return false;
        }
        while (i < end) {
            if (end - i < HEADER) {
                return false;
            }
            int type = datagram.getUnsignedByte(i);
            if (type < 20 || type > 25 || type == 24) {
                // change_cipher_spec, alert, handshake, application_data, and tls12_cid (25, RFC 9146).
                return false;
            }
            int header = HEADER;
            if (type == TLS12_CID) {
                if (cidLength == 0) {
                    return false;
                }
                header += cidLength;
                if (end - i < header) {
                    return false;
                }
            }
            if (datagram.getUnsignedByte(i + 1) != 0xFE) {
                return false;
            }
            int epoch = datagram.getUnsignedShort(i + 3);
            int length = datagram.getUnsignedShort(i + header - 2);
            if (length > end - i - header) {
                return false;
            }
            if ((epoch > 0 || type == TLS12_CID) && length < MIN_PROTECTED) {
                return false;
            }
            i += header + length;
        }
        return true;
    }
}
