package io.sluice.tck;

import io.sluice.coap.CoapServer;

/** {@code CoapSession.states()} over CoAP over WebSockets ({@code coap+ws://}, RFC 8323 §4). */
public class CoapWebSocketSessionStatesVerification extends CoapTcpSessionStatesVerification {

    public CoapWebSocketSessionStatesVerification() {
        super(CoapServer::webSocket, "coap+ws");
    }
}
