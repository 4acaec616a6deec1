package io.sluice.flood;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * DTLS 1.2 ClientHello records (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2) built by hand, for attackers
 * that need no more of a client than its first flight: pre-shared-key suites only, no session ID,
 * the extended master secret and renegotiation info extensions.
 */
final class ClientHellos {

    /** TLS_PSK_WITH_AES_128_GCM_SHA256 and TLS_PSK_WITH_AES_128_CCM_8, which every PSK server of Sluice's accepts. */
    private static final int[] SUITES = {0x00A8, 0xC0A8};

    private ClientHellos() {
    }

    /**
     * @param random the client random, 32 bytes
     * @param cookie the cookie, empty for the first ClientHello
     * @param sequence the record and message sequence number (0 first, 1 after a HelloVerifyRequest)
     * @return the record
     */
    static byte[] record(byte[] random, byte[] cookie, int sequence) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0xFE);
        body.write(0xFD);
        body.writeBytes(random);
        body.write(0); // session ID
        body.write(cookie.length);
        body.writeBytes(cookie);
        body.write(0);
        body.write(SUITES.length * 2);
        for (int suite : SUITES) {
            body.write(suite >>> 8);
            body.write(suite);
        }
        body.write(1); // compression methods: null
        body.write(0);
        byte[] extensions = {0x00, 0x17, 0x00, 0x00, (byte) 0xFF, 0x01, 0x00, 0x01, 0x00};
        body.write(0);
        body.write(extensions.length);
        body.writeBytes(extensions);
        byte[] hello = body.toByteArray();

        ByteBuffer handshake = ByteBuffer.allocate(12 + hello.length);
        handshake.put((byte) 1).put(uint24(hello.length)).putShort((short) sequence).put(uint24(0)).put(uint24(hello.length)).put(hello);
        ByteBuffer record = ByteBuffer.allocate(13 + handshake.capacity());
        record.put((byte) 22).put((byte) 0xFE).put((byte) 0xFD).putShort((short) 0).putShort((short) 0).putInt(sequence)
                .putShort((short) handshake.capacity()).put(handshake.array());
        return record.array();
    }

    /**
     * @param datagram what the server answered a first ClientHello with
     * @return the cookie of its HelloVerifyRequest, or null when it is not one
     */
    static byte[] cookieOf(byte[] datagram, int length) {
        // record header (13), handshake header (12): type 3 = hello_verify_request; then version (2), cookie length (1).
        if (length < 13 + 12 + 3 || datagram[0] != 22 || datagram[13] != 3) {
            return null;
        }
        int cookieLength = datagram[13 + 12 + 2] & 0xFF;
        int from = 13 + 12 + 3;
        return from + cookieLength <= length ? Arrays.copyOfRange(datagram, from, from + cookieLength) : null;
    }

    private static byte[] uint24(int v) {
        return new byte[] {(byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
