package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** What reaches BouncyCastle: well-formed records only, tls12_cid ones only where a CID was negotiated. */
class RecordFilterTest {

    /** A record: type, DTLS 1.2, epoch, sequence 1, the CID if any, and a body of {@code bodyLength} bytes. */
    private static ByteBuf record(int type, int epoch, byte[] cid, int bodyLength) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(type).writeShort(0xFEFD).writeShort(epoch).writeShort(0).writeInt(1);
        b.writeBytes(cid);
        b.writeShort(bodyLength).writeZero(bodyLength);
        return b;
    }

    private static boolean acceptable(ByteBuf datagram, int cidLength) {
        try {
            return RecordFilter.acceptable(datagram, cidLength);
        } finally {
            datagram.release();
        }
    }

    @Test
    void plainRecordsAreCheckedAsBefore() {
        assertThat(acceptable(record(22, 0, new byte[0], 40), 0)).isTrue();
        assertThat(acceptable(record(23, 1, new byte[0], 24), 0)).isTrue();
        assertThat(acceptable(record(23, 1, new byte[0], 8), 0)).as("shorter than an AEAD tag").isFalse();
        assertThat(acceptable(record(23, 1, new byte[0], 24).writerIndex(30), 0)).as("truncated").isFalse();
        assertThat(acceptable(record(24, 1, new byte[0], 24), 0)).as("heartbeat").isFalse();
    }

    @Test
    void connectionIdRecordsNeedANegotiatedId() {
        byte[] cid = {1, 2, 3, 4};
        assertThat(acceptable(record(25, 1, cid, 24), 4)).isTrue();
        assertThat(acceptable(record(25, 1, cid, 24), 0)).as("no CID negotiated").isFalse();
        assertThat(acceptable(record(25, 1, cid, 24), 8)).as("length read from the wrong place").isFalse();
        assertThat(acceptable(record(25, 1, cid, 8), 4)).as("shorter than an AEAD tag").isFalse();
        assertThat(acceptable(record(25, 1, cid, 0).writerIndex(14), 4)).as("header cut inside the CID").isFalse();
    }

    @Test
    void aDatagramWithOneBadRecordIsDroppedWhole() {
        byte[] cid = {9, 9};
        ByteBuf two = Unpooled.wrappedBuffer(record(25, 1, cid, 24), record(25, 1, cid, 3));
        assertThat(acceptable(two, 2)).isFalse();
        ByteBuf good = Unpooled.wrappedBuffer(record(25, 1, cid, 24), record(23, 1, new byte[0], 30));
        assertThat(acceptable(good, 2)).isTrue();
    }
}
