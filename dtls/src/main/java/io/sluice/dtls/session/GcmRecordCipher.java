package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.TlsImplUtils;

/**
 * AES-GCM records (RFC 5288 for TLS 1.2, as DTLS 1.2 uses them) on the JDK's cipher, which uses
 * the CPU's AES instructions. A record is opened from one copy of its body into the buffer handed
 * to the subscriber, and sealed from the caller's plaintext into the buffer the socket sends:
 * through BouncyCastle's cipher each record took four copies and several arrays. Arrays, not
 * {@code ByteBuffer}s over the direct datagrams: the JDK's GCM is slower on those (a seal and open
 * of 1200 bytes took about 1.7 µs against 1.4 µs through arrays, copies included).
 *
 * <p>The construction, byte for byte what BouncyCastle's {@code TlsAEADCipher} and OpenSSL do: the
 * key block of RFC 5246 §6.3 gives each side a write key and a 4-byte salt; a record's nonce is the
 * salt and an 8-byte explicit part, the 64-bit epoch-and-sequence number, sent before the
 * ciphertext; the additional data is that number, the type, the version and the plaintext length.
 * With a connection ID (RFC 9146 §5) the record's type is tls12_cid, the plaintext is the content
 * followed by its real type, and the additional data is the RFC's longer form carrying the ID.
 *
 * <p>Threading and buffers: as {@link RecordCipher}; one JDK cipher per direction.
 */
final class GcmRecordCipher implements RecordCipher {

    private static final int SALT = 4;
    private static final int EXPLICIT_NONCE = 8;
    private static final int TAG = 16;
    private static final short TLS12_CID = 25;

    private static final byte[] NO_ID = new byte[0];

    private final Direction sealing;
    private final Direction opening;
    private final SecureRandom random;
    /** The connection ID in the peer's records, in their additional data; empty if none. */
    private final byte[] connectionIdIn;
    private short openedType;

    /** One direction's cipher, key, salt, and the per-record arrays it reuses (under that direction's serialization). */
    private static final class Direction {
        final Cipher cipher;
        final SecretKeySpec key;
        final byte[] nonce = new byte[SALT + EXPLICIT_NONCE];
        final byte[] additionalData;

        Direction(byte[] keyBlock, int keyOffset, int keySize, int saltOffset, int connectionIdLength) throws GeneralSecurityException {
            this.cipher = DtlsRuntime.cipher("AES/GCM/NoPadding");
            this.key = new SecretKeySpec(keyBlock, keyOffset, keySize, "AES");
            System.arraycopy(keyBlock, saltOffset, nonce, 0, SALT);
            this.additionalData = new byte[23 + connectionIdLength];
        }

        /** Starts one record: its nonce from the explicit part, then the additional data. */
        void start(int mode, long explicitNonce, int additionalDataLength, SecureRandom random) throws GeneralSecurityException {
            putLong(nonce, SALT, explicitNonce);
            cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce), random);
            cipher.updateAAD(additionalData, 0, additionalDataLength);
        }

        /**
         * The additional data of RFC 5246 §6.2.3.3, or of RFC 9146 §5 for a record with a connection ID.
         *
         * @return its length
         */
        int additionalData(long sequence, short type, byte[] connectionId, int plaintextLength) {
            byte[] a = additionalData;
            if (connectionId.length == 0) {
                putLong(a, 0, sequence);
                a[8] = (byte) type;
                a[9] = (byte) 0xFE;
                a[10] = (byte) 0xFD;
                a[11] = (byte) (plaintextLength >>> 8);
                a[12] = (byte) plaintextLength;
                return 13;
            }
            Arrays.fill(a, 0, 8, (byte) 0xFF); // seq_num_placeholder
            a[8] = (byte) TLS12_CID;
            a[9] = (byte) connectionId.length;
            a[10] = (byte) TLS12_CID;
            a[11] = (byte) 0xFE;
            a[12] = (byte) 0xFD;
            putLong(a, 13, sequence); // epoch and sequence_number
            System.arraycopy(connectionId, 0, a, 21, connectionId.length);
            int at = 21 + connectionId.length;
            a[at] = (byte) (plaintextLength >>> 8);
            a[at + 1] = (byte) plaintextLength;
            return at + 2;
        }
    }

    private GcmRecordCipher(Direction sealing, Direction opening, byte[] connectionIdIn, SecureRandom random) {
        this.sealing = sealing;
        this.opening = opening;
        this.connectionIdIn = connectionIdIn;
        this.random = random;
    }

    /**
     * The ciphers of a completed handshake, from its key block (while the master secret exists).
     *
     * @param keySize 16 or 32 bytes
     * @param connectionIdOut the ID in this side's records, null or empty if none
     * @param connectionIdIn the ID in the peer's records, null or empty if none
     */
    static GcmRecordCipher of(TlsCryptoParameters crypto, int keySize, byte[] connectionIdOut, byte[] connectionIdIn) throws IOException {
        // client_write_key, server_write_key, client_write_IV, server_write_IV (no MAC keys for AEAD).
        byte[] block = TlsImplUtils.calculateKeyBlock(crypto, 2 * keySize + 2 * SALT);
        try {
            return withKeyBlock(block, keySize, crypto.isServer(), connectionIdOut, connectionIdIn);
        } finally {
            Arrays.fill(block, (byte) 0);
        }
    }

    /**
     * The ciphers of one side from an RFC 5246 §6.3 key block (for tests, and {@link #of}).
     *
     * @param server whether this side is the server (it seals with the server's key and salt)
     */
    static GcmRecordCipher withKeyBlock(byte[] block, int keySize, boolean server, byte[] connectionIdOut, byte[] connectionIdIn)
            throws IOException {
        byte[] out = connectionIdOut == null ? NO_ID : connectionIdOut;
        byte[] in = connectionIdIn == null ? NO_ID : connectionIdIn.clone();
        int clientKey = 0;
        int serverKey = keySize;
        int clientSalt = 2 * keySize;
        int serverSalt = 2 * keySize + SALT;
        try {
            Direction sealing = new Direction(block, server ? serverKey : clientKey, keySize, server ? serverSalt : clientSalt, out.length);
            Direction opening = new Direction(block, server ? clientKey : serverKey, keySize, server ? clientSalt : serverSalt, in.length);
            // GCM draws nothing from it; passing one keeps the JCE from making its default on first use.
            return new GcmRecordCipher(sealing, opening, in, DtlsRuntime.CRYPTO.getSecureRandom());
        } catch (GeneralSecurityException e) {
            throw new IOException("no AES-GCM cipher: " + e.getMessage(), e);
        }
    }

    @Override
    public ByteBuf seal(int epoch, long sequence, short contentType, byte[] connectionId, ByteBuf plaintext) throws IOException {
        Direction d = sealing;
        int n = plaintext.readableBytes();
        boolean withId = connectionId.length > 0;
        int inner = n + (withId ? 1 : 0);
        int header = RecordLayer.HEADER + connectionId.length;
        int body = EXPLICIT_NONCE + inner + TAG;
        long number = RecordCipher.macSequence(epoch, sequence);
        byte[] in = ScratchArrays.arrayOf(plaintext);
        int inOffset = ScratchArrays.offsetOf(plaintext);
        // Sealed into this thread's output array, then copied once into the direct buffer the socket
        // sends (a heap record would be copied by the transport instead, after an allocation of its
        // own). Not sealed into a pooled buffer: the plaintext may sit in the same pooled chunk, and
        // the JDK's GCM then copies its whole output array to avoid overlap (a profile showed it);
        // nor into the direct buffer's ByteBuffer, which the JDK's GCM seals more slowly.
        byte[] b = ScratchArrays.output(header + body);
        try {
            RecordLayer.writeHeader(b, 0, withId ? TLS12_CID : contentType, epoch, sequence, connectionId, body);
            putLong(b, header, number);
            d.start(Cipher.ENCRYPT_MODE, number, d.additionalData(number, contentType, connectionId, inner), random);
            int at = header + EXPLICIT_NONCE;
            int written = withId ? d.cipher.update(in, inOffset, n, b, at) : 0;
            written += withId ? d.cipher.doFinal(new byte[] {(byte) contentType}, 0, 1, b, at + written)
                    : d.cipher.doFinal(in, inOffset, n, b, at);
            int length = header + EXPLICIT_NONCE + written;
            return ByteBufAllocator.DEFAULT.directBuffer(length, length).writeBytes(b, 0, length);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM failed to seal a record: " + e.getMessage(), e);
        }
    }

    @Override
    public ByteBuf open(int epoch, long sequence, short recordType, ByteBuf datagram, int start, int header, int length) {
        Direction d = opening;
        boolean withId = recordType == TLS12_CID;
        int inner = length - EXPLICIT_NONCE - TAG;
        if (inner < (withId ? 1 : 0)) {
            return null;
        }
        int body = start + header;
        long number = RecordCipher.macSequence(epoch, sequence);
        // The JDK's GCM is fastest array to array: the body is copied out of the (direct) datagram
        // once, and opened straight into the buffer the subscriber gets.
        byte[] in = ScratchArrays.input(inner + TAG);
        datagram.getBytes(body + EXPLICIT_NONCE, in, 0, inner + TAG);
        // A plain array of its own: a pooled buffer costs more here than the allocation, and a
        // heap record the subscriber forgets to release holds no pooled memory.
        byte[] plain = new byte[inner];
        ByteBuf out;
        try {
            d.start(Cipher.DECRYPT_MODE, datagram.getLong(body),
                    d.additionalData(number, recordType, withId ? connectionIdIn : NO_ID, inner), random);
            out = Unpooled.wrappedBuffer(plain, 0, d.cipher.doFinal(in, 0, inner + TAG, plain, 0));
        } catch (GeneralSecurityException | RuntimeException notAuthentic) {
            return null;
        }
        if (withId) {
            // DTLSInnerPlaintext: the content, its real type, then zeros (RFC 9146 §4).
            int i = out.writerIndex() - 1;
            while (i >= 0 && out.getByte(i) == 0) {
                i--;
            }
            if (i < 0) {
                out.release();
                return null;
            }
            openedType = out.getUnsignedByte(i);
            out.writerIndex(i);
        } else {
            openedType = recordType;
        }
        if (out.readableBytes() > PLAINTEXT_LIMIT) {
            out.release();
            return null;
        }
        return out;
    }

    @Override
    public short openedType() {
        return openedType;
    }

    @Override
    public boolean nonBlocking() {
        return true;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (56 - 8 * i));
        }
    }
}
