package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;

/**
 * Record protection through BouncyCastle's own {@link TlsCipher} for the suites the JDK path
 * ({@link GcmRecordCipher}) does not take: AES-CCM, ChaCha20-Poly1305 and the CBC suites. Its
 * cipher works on arrays, so a record's body is copied into a per-thread scratch array to be
 * opened, and a record is sealed into an array the cipher makes for it. With connection IDs the
 * cipher itself builds RFC 9146's inner plaintext and additional data.
 *
 * <p>Threading and buffers: as {@link RecordCipher}.
 */
final class BcRecordCipher implements RecordCipher {

    private final TlsCipher cipher;
    private final boolean aead;
    private final int plaintextLimit;
    private short openedType;

    BcRecordCipher(TlsCipher cipher, boolean aead) {
        this.cipher = cipher;
        this.aead = aead;
        this.plaintextLimit = cipher.getPlaintextDecodeLimit(PLAINTEXT_LIMIT);
    }

    @Override
    public ByteBuf seal(int epoch, long sequence, short contentType, byte[] connectionId, ByteBuf plaintext) throws IOException {
        int header = RecordLayer.HEADER + connectionId.length;
        // The cipher copies the plaintext into a record array of its own, so the scratch copy of a
        // direct plaintext is free again once it returns.
        TlsEncodeResult encoded = cipher.encodePlaintext(RecordCipher.macSequence(epoch, sequence), contentType,
                ProtocolVersion.DTLSv12, header, ScratchArrays.arrayOf(plaintext), ScratchArrays.offsetOf(plaintext),
                plaintext.readableBytes());
        RecordLayer.writeHeader(encoded.buf, encoded.off, encoded.recordType, epoch, sequence, connectionId, encoded.len - header);
        // The cipher made this array for this record alone, so the datagram can wrap it.
        return Unpooled.wrappedBuffer(encoded.buf, encoded.off, encoded.len);
    }

    @Override
    public ByteBuf open(int epoch, long sequence, short recordType, ByteBuf datagram, int start, int header, int length) {
        byte[] buf = ScratchArrays.input(length);
        datagram.getBytes(start + header, buf, 0, length);
        TlsDecodeResult decoded;
        try {
            decoded = cipher.decodeCiphertext(RecordCipher.macSequence(epoch, sequence), recordType, ProtocolVersion.DTLSv12, buf, 0,
                    length);
        } catch (IOException | RuntimeException notAuthentic) {
            return null;
        }
        if (decoded.len > plaintextLimit) {
            return null;
        }
        openedType = decoded.contentType;
        return ByteBufAllocator.DEFAULT.heapBuffer(decoded.len).writeBytes(decoded.buf, decoded.off, decoded.len);
    }

    @Override
    public short openedType() {
        return openedType;
    }

    @Override
    public boolean nonBlocking() {
        return aead;
    }
}
