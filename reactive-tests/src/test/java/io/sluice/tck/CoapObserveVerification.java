package io.sluice.tck;

/** Observe over UDP ({@code coap://}): confirmable messages, so the TCK waits past one retransmission. */
public class CoapObserveVerification extends CoapObserveVerificationBase {

    public CoapObserveVerification() {
        super(TckEnvironment.confirmable(), spec -> spec, "coap");
    }
}
