package io.sluice.codec.demux;

/** What a datagram on a multiplexed media port is, judged by {@link PacketClassifier}. */
public enum PacketClass {
    /** First byte 0–3: STUN (RFC 8489). */
    STUN,
    /** First byte 16–19: ZRTP (RFC 6189). */
    ZRTP,
    /** First byte 20–63: a DTLS record (content types 20–63 are reserved for it by RFC 7983). */
    DTLS,
    /** First byte 64–79 while TURN channels are in use: TURN ChannelData (RFC 8656). */
    TURN_CHANNEL,
    /** First byte 64–127 (short header; 64–79 only without TURN channels) or 192–255 (long header): QUIC. */
    QUIC,
    /** First byte 128–191 with a second byte that is not an RTCP packet type: RTP (RFC 3550). */
    RTP,
    /** First byte 128–191 with an RTCP packet type 192–223 in the second byte (RFC 5761 §4). */
    RTCP,
    /** Empty, or a first byte no specification assigns (4–15). */
    UNKNOWN
}
