package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JDK AES-GCM record cipher on its own: what one side seals the other opens, in the plain and
 * the connection-ID form, and anything altered, replayed under another number or cut short does
 * not open. (Byte-for-byte agreement with other implementations is proven against OpenSSL and
 * Scandium in the interop tests.)
 */
class GcmRecordCipherTest {

    private static final short APPLICATION_DATA = 23;
    private static final byte[] NONE = new byte[0];
    private static final byte[] CID = {9, 8, 7, 6};

    private static byte[] keyBlock(int keySize) {
        byte[] block = new byte[2 * keySize + 8];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (31 * i + 7);
        }
        return block;
    }

    /** Sealed records are pooled direct buffers, the socket's to release; here the test's. */
    private final List<ByteBuf> made = new ArrayList<>();

    private ByteBuf keep(ByteBuf b) {
        made.add(b);
        return b;
    }

    @AfterEach
    void releaseRecords() {
        made.forEach(ByteBuf::release);
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    /** Opens a sealed datagram of one record as the layer would: the header parsed, the body handed over. */
    private static ByteBuf open(GcmRecordCipher cipher, ByteBuf sealed, int cidLength, long sequence) {
        short type = sealed.getUnsignedByte(0);
        int header = 13 + (type == 25 ? cidLength : 0);
        return cipher.open(1, sequence, type, sealed, 0, header, sealed.getUnsignedShort(header - 2));
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 32})
    void whatTheClientSealsTheServerOpensAndBack(int keySize) throws Exception {
        GcmRecordCipher client = GcmRecordCipher.withKeyBlock(keyBlock(keySize), keySize, false, null, null);
        GcmRecordCipher server = GcmRecordCipher.withKeyBlock(keyBlock(keySize), keySize, true, null, null);
        ByteBuf sealed = keep(client.seal(1, 5, APPLICATION_DATA, NONE, text("ping")));
        assertThat(sealed.readableBytes()).as("header, explicit nonce, text, tag").isEqualTo(13 + 8 + 4 + 16);
        assertThat(sealed.getUnsignedByte(0)).isEqualTo(APPLICATION_DATA);
        assertThat(sealed.getLong(13)).as("the explicit nonce is the epoch and sequence").isEqualTo((1L << 48) | 5);
        ByteBuf opened = open(server, sealed, 0, 5);
        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo("ping");
        assertThat(server.openedType()).isEqualTo(APPLICATION_DATA);
        assertThat(open(client, sealed, 0, 5)).as("a side cannot open its own records: each direction has its key").isNull();
        ByteBuf back = keep(server.seal(1, 0, APPLICATION_DATA, NONE, text("pong")));
        assertThat(open(client, back, 0, 0).toString(StandardCharsets.UTF_8)).isEqualTo("pong");
    }

    @Test
    void connectionIdRecordsCarryTheIdAndTheRealTypeInside() throws Exception {
        GcmRecordCipher client = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, false, CID, null);
        GcmRecordCipher server = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, true, null, CID);
        ByteBuf sealed = keep(client.seal(1, 3, (short) 21, CID, Unpooled.wrappedBuffer(new byte[] {1, 0})));
        assertThat(sealed.getUnsignedByte(0)).as("tls12_cid").isEqualTo((short) 25);
        assertThat(ByteBufUtil.getBytes(sealed, 11, 4)).isEqualTo(CID);
        assertThat(sealed.readableBytes()).as("header with CID, nonce, alert and its type, tag").isEqualTo(13 + 4 + 8 + 3 + 16);
        ByteBuf opened = open(server, sealed, 4, 3);
        assertThat(ByteBufUtil.getBytes(opened)).containsExactly(1, 0);
        assertThat(server.openedType()).as("the real content type, from inside the protection").isEqualTo((short) 21);
    }

    @Test
    void alteredReplayedOrShortRecordsDoNotOpen() throws Exception {
        GcmRecordCipher client = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, false, null, null);
        GcmRecordCipher server = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, true, null, null);
        ByteBuf sealed = keep(client.seal(1, 7, APPLICATION_DATA, NONE, text("record")));
        for (int i = 13; i < sealed.readableBytes(); i++) {
            ByteBuf altered = keep(sealed.copy());
            altered.setByte(i, altered.getByte(i) ^ 0x40);
            assertThat(open(server, altered, 0, 7)).as("byte %d altered", i).isNull();
        }
        assertThat(open(server, sealed, 0, 8)).as("the same record under another sequence number").isNull();
        assertThat(server.open(1, 7, APPLICATION_DATA, sealed, 0, 13, 8 + 15)).as("shorter than nonce and tag").isNull();
        assertThat(open(server, sealed, 0, 7).toString(StandardCharsets.UTF_8)).as("the original still opens").isEqualTo("record");
    }

    @Test
    void anInnerPlaintextOfZerosOnlyHasNoTypeAndDoesNotOpen() throws Exception {
        GcmRecordCipher client = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, false, CID, null);
        GcmRecordCipher server = GcmRecordCipher.withKeyBlock(keyBlock(16), 16, true, null, CID);
        // Content type 0 sealed: the inner plaintext is then all zeros, which RFC 9146 leaves without a type.
        ByteBuf sealed = keep(client.seal(1, 1, (short) 0, CID, Unpooled.wrappedBuffer(new byte[] {0, 0})));
        assertThat(open(server, sealed, 4, 1)).isNull();
    }
}
