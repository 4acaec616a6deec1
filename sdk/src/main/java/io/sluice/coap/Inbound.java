package io.sluice.coap;

import io.sluice.codec.coap.BlockOption;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapType;

/**
 * One request being answered. The message layer makes it when a request comes up (a CON or NON
 * datagram, or a frame of a stream) and decides how the answer travels: piggy-backed on the ACK,
 * as a separate CON, as a NON, or just as the next frame. The exchange layer decides what the
 * answer is. Loop-confined.
 */
abstract class Inbound {
    final CoapMessage message;
    final boolean viaGroup;
    /** The Block1 option the final answer to an upload carries (RFC 7959 §2.3); set by the exchange layer. */
    BlockOption block1Ack;
    /** When the exchange layer took the request, for the request timer; read only when meters are on. */
    long receivedNanos;
    /** The server's observation of this request, or null. */
    Object observation;
    private boolean answered;

    Inbound(CoapMessage message, boolean viaGroup) {
        this.message = message;
        this.viaGroup = viaGroup;
    }

    boolean confirmable() {
        return message.type() == CoapType.CON;
    }

    boolean isAnswered() {
        return answered;
    }

    /**
     * Marks the request answered.
     *
     * @return false when it already was: a request is answered once
     */
    final boolean claim() {
        if (answered) {
            return false;
        }
        answered = true;
        return true;
    }

    /** Sends the answer the exchange layer shaped; this layer sets its type and message ID. */
    abstract void answer(CoapMessage response);

    /** The answer is suppressed (No-Response, RFC 7967; a failed multicast request): only what the message layer owes goes out. */
    abstract void answerNothing();
}
