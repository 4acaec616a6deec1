package io.sluice.tck;

import io.sluice.coap.CoapServer;

/** Observe over CoAP over WebSockets ({@code coap+ws://}, RFC 8323 §4). */
public class CoapWebSocketObserveVerification extends CoapObserveVerificationBase {

    public CoapWebSocketObserveVerification() {
        super(TckEnvironment.create(), CoapServer::webSocket, "coap+ws");
    }
}
