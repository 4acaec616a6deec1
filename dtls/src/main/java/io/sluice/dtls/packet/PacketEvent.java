package io.sluice.dtls.packet;

import java.net.InetSocketAddress;

/**
 * Something an endpoint reports beside its packets: the seed's status changes that are not a
 * packet ("Overrun", "Stopped") and the losses Sluice counts instead of hiding.
 *
 * @param kind what happened
 * @param total how many times it happened on this endpoint so far, this one included
 * @param peer the remote address involved, or null
 * @param detail a sentence for people
 */
public record PacketEvent(Kind kind, long total, InetSocketAddress peer, String detail) {

    /** The kinds of endpoint events. */
    public enum Kind {
        /** A packet was lost because the receive buffer was full (the seed's Overrun status). */
        OVERRUN,
        /** A datagram longer than the receive limit arrived and was dropped, not truncated. */
        OVERSIZED,
        /** A demultiplexed datagram had no receiver attached for its class and was dropped. */
        UNCLAIMED,
        /** A packet could not be sent; {@code detail} names the cause. */
        SEND_FAILED,
        /** The endpoint stopped (the seed's Stopped status). */
        STOPPED
    }
}
