package io.sluice.codec.demux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class PacketClassifierTest {

    private final PacketClassifier classifier = PacketClassifier.rfc9443();

    @Test
    void everyFirstByteFallsInTheRangeTheRfcsGiveIt() {
        for (int b = 0; b < 256; b++) {
            PacketClass expected = b <= 3 ? PacketClass.STUN
                    : b <= 15 ? PacketClass.UNKNOWN
                    : b <= 19 ? PacketClass.ZRTP
                    : b <= 63 ? PacketClass.DTLS
                    : b <= 79 ? PacketClass.TURN_CHANNEL
                    : b <= 127 ? PacketClass.QUIC
                    : b <= 191 ? PacketClass.RTP
                    : PacketClass.QUIC;
            assertThat(classifier.classify(b, 0)).as("first byte %d", b).isEqualTo(expected);
        }
    }

    @Test
    void withoutTurnChannelsTheTurnRangeIsQuic() {
        assertThat(PacketClassifier.withoutTurnChannels().classify(64, 0)).isEqualTo(PacketClass.QUIC);
        assertThat(PacketClassifier.withoutTurnChannels().classify(79, 0)).isEqualTo(PacketClass.QUIC);
        assertThat(PacketClassifier.withoutTurnChannels().classify(22, 0)).isEqualTo(PacketClass.DTLS);
    }

    @Test
    void rtcpIsToldFromRtpByItsPacketType() {
        // RTCP sender report: V=2, PT=200; RTP with marker bit and payload type 96: 0xE0.
        assertThat(classifier.classify(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 200, 0, 6}))).isEqualTo(PacketClass.RTCP);
        assertThat(classifier.classify(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0xE0, 0, 1}))).isEqualTo(PacketClass.RTP);
        assertThat(classifier.classify(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 96, 0, 1}))).isEqualTo(PacketClass.RTP);
        assertThat(classifier.classify(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80}))).isEqualTo(PacketClass.RTP);
    }

    @Test
    void aDtlsHandshakeRecordIsDtlsAndTheBufferIsNotConsumed() {
        ByteBuf clientHello = Unpooled.wrappedBuffer(new byte[] {22, (byte) 0xFE, (byte) 0xFD, 0, 0});
        assertThat(classifier.classify(clientHello)).isEqualTo(PacketClass.DTLS);
        assertThat(clientHello.readerIndex()).isZero();
        assertThat(clientHello.refCnt()).isEqualTo(1);
    }

    @Test
    void emptyDatagramsAreUnknownAndBadBytesAreRefused() {
        assertThat(classifier.classify(Unpooled.EMPTY_BUFFER)).isEqualTo(PacketClass.UNKNOWN);
        assertThatThrownBy(() -> classifier.classify(256, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
