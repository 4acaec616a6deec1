package io.sluice.coap;

import io.sluice.codec.coap.CoapMessage;
import java.net.InetSocketAddress;

/** How an endpoint's messages leave: a UDP socket shared by many sessions, or one DTLS session. Called on the endpoint's loop. */
interface Link {

    /** Encodes and sends one message; a message that cannot be sent is dropped and counted, never queued without bound. */
    void send(CoapMessage message, InetSocketAddress to);

    InetSocketAddress localAddress();

    /** Closes what the link owns (a client's own socket, a DTLS session); a shared server socket ignores it. */
    void close();
}
