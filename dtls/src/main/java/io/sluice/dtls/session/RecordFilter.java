package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;

/**
 * Drops datagrams BouncyCastle must not see. BouncyCastle 1.83 ends a session with a fatal
 * decode_error when a record of the live epoch is too short for its AEAD cipher, although RFC 6347
 * §4.1.2.7 says invalid records are to be discarded silently; anyone who can spoof the peer's
 * address could kill a session with one datagram. So every record of a datagram is checked first:
 * a complete 13-byte header, a DTLS content type and version, a length within the datagram, and,
 * for protected epochs, at least the 16 bytes of authentication tag every AEAD suite adds. A
 * datagram with any bad record is dropped whole.
 */
final class RecordFilter {

    private static final int HEADER = 13;
    /** The smallest protected record: a 16-byte tag (GCM adds an 8-byte explicit nonce on top). */
    private static final int MIN_PROTECTED = 16;

    private RecordFilter() {
    }

    static boolean acceptable(ByteBuf datagram) {
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
            if (datagram.getUnsignedByte(i + 1) != 0xFE) {
                return false;
            }
            int epoch = datagram.getUnsignedShort(i + 3);
            int length = datagram.getUnsignedShort(i + 11);
            if (length > end - i - HEADER) {
                return false;
            }
            if (epoch > 0 && length < MIN_PROTECTED) {
                return false;
            }
            i += HEADER + length;
        }
        return true;
    }
}
