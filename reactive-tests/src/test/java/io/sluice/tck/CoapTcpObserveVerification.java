package io.sluice.tck;

import io.sluice.coap.CoapServer;

/** Observe over CoAP over TCP ({@code coap+tcp://}, RFC 8323 §3). */
public class CoapTcpObserveVerification extends CoapObserveVerificationBase {

    public CoapTcpObserveVerification() {
        super(TckEnvironment.create(), CoapServer::tcp, "coap+tcp");
    }
}
