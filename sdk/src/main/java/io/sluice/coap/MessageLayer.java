package io.sluice.coap;

import io.sluice.codec.coap.CoapMessage;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The message layer under one session, as the exchange layer sees it: {@link DatagramMessages}
 * over UDP and DTLS (CON, NON, ACK, RST, message IDs, retransmission; RFC 7252 §4) or
 * {@link ReliableLink} over TCP, TLS and WebSockets (RFC 8323: the connection acknowledges). The
 * exchange layer shapes a message's code, token, options and payload; its type and message ID are
 * this layer's to set. Everything runs on the session's loop.
 */
interface MessageLayer {

    /** What became of one message the exchange layer sent. Called on the loop, at most once each, except {@link #reset}. */
    interface Delivery {
        /**
         * The peer has the message: over UDP its ACK came ({@code ack} is the piggy-backed response,
         * or an empty ACK when the answer comes separately) or it was a NON and has gone out; over a
         * stream, the socket took it ({@code ack} is null).
         */
        void delivered(CoapMessage ack);

        /** The peer rejected the message with a Reset. */
        void reset();

        /** A CON went unacknowledged through every retransmission. */
        void timedOut();
    }

    /** A message on its way. */
    interface Transmission {
        /** Nothing to stop: a stream transport never retransmits. */
        Transmission NONE = () -> false;

        /**
         * Stops retransmitting and forgets the delivery.
         *
         * @return true when the message was still waiting for its acknowledgement
         */
        boolean cancel();
    }

    /**
     * Sends a request or a notification.
     *
     * @param confirmable whether a datagram transport sends it as a CON; a stream ignores it
     * @param delivery told what became of it, or null
     */
    Transmission send(CoapMessage message, boolean confirmable, Delivery delivery);

    /** A CoAP ping: an empty CON answered by a Reset (RFC 7252 §4.3), or 7.02 Ping and 7.03 Pong (RFC 8323 §5.4). */
    Mono<Duration> ping();
}
