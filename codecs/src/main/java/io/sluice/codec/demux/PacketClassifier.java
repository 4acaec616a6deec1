package io.sluice.codec.demux;

import io.netty.buffer.ByteBuf;

/**
 * Splits the datagrams arriving on one port by their first byte, per RFC 7983 §7 as updated by
 * RFC 9443 §3:
 *
 * <pre>
 *   [0..3]     STUN          [64..79]   TURN channel (QUIC when TURN channels are not in use)
 *   [16..19]   ZRTP          [80..127]  QUIC (short header)
 *   [20..63]   DTLS          [128..191] RTP / RTCP
 *   [4..15]    unknown       [192..255] QUIC (long header)
 * </pre>
 *
 * RTP and RTCP share 128–191; RTCP is told apart by its packet type (second byte 192–223, RFC
 * 5761 §4). The classifier only reads bytes; it never changes reader or writer indexes and never
 * retains or releases the buffer. Immutable and thread-safe.
 */
public final class PacketClassifier {

    private static final PacketClassifier WITH_TURN = new PacketClassifier(true);
    private static final PacketClassifier WITHOUT_TURN = new PacketClassifier(false);

    private final boolean turnChannels;

    private PacketClassifier(boolean turnChannels) {
        this.turnChannels = turnChannels;
    }

    /**
     * The classifier for a port that may carry TURN ChannelData, so 64–79 means TURN.
     *
     * @return the shared instance
     */
    public static PacketClassifier rfc9443() {
        return WITH_TURN;
    }

    /**
     * The classifier for a port on which TURN channels are not in use, so all of 64–127 is QUIC.
     *
     * @return the shared instance
     */
    public static PacketClassifier withoutTurnChannels() {
        return WITHOUT_TURN;
    }

    /**
     * Whether 64–79 is taken as TURN ChannelData.
     *
     * @return true for {@link #rfc9443()}
     */
    public boolean turnChannels() {
        return turnChannels;
    }

    /**
     * Classifies the readable bytes of a datagram.
     *
     * @param datagram the datagram; read, not consumed
     * @return its class, {@link PacketClass#UNKNOWN} when empty
     */
    public PacketClass classify(ByteBuf datagram) {
        if (!datagram.isReadable()) {
            return PacketClass.UNKNOWN;
        }
        int first = datagram.getUnsignedByte(datagram.readerIndex());
        int second = datagram.readableBytes() > 1 ? datagram.getUnsignedByte(datagram.readerIndex() + 1) : -1;
        return classify(first, second);
    }

    /**
     * Classifies by the first two bytes.
     *
     * @param first the first byte, 0–255
     * @param second the second byte, 0–255, or -1 when the datagram has one byte
     * @return the class
     */
    public PacketClass classify(int first, int second) {
        if (first < 0 || first > 255) {
            throw new IllegalArgumentException("a byte is 0–255, got " + first);
        }
        if (first <= 3) {
            return PacketClass.STUN;
        } else if (first <= 15) {
            return PacketClass.UNKNOWN;
        } else if (first <= 19) {
            return PacketClass.ZRTP;
        } else if (first <= 63) {
            return PacketClass.DTLS;
        } else if (first <= 79) {
            return turnChannels ? PacketClass.TURN_CHANNEL : PacketClass.QUIC;
        } else if (first <= 127) {
            return PacketClass.QUIC;
        } else if (first <= 191) {
            return second >= 192 && second <= 223 ? PacketClass.RTCP : PacketClass.RTP;
        }
        return PacketClass.QUIC;
    }

    @Override
    public String toString() {
        return turnChannels ? "PacketClassifier[RFC 9443, TURN channels]" : "PacketClassifier[RFC 9443, no TURN channels]";
    }
}
