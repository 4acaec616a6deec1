package io.sluice.coap;

import reactor.netty.resources.LoopResources;

/** The event loops CoAP endpoints run on: daemon threads named "sluice-coap-…", shared by every endpoint. */
final class CoapLoops {

    static final LoopResources LOOPS = LoopResources.create("sluice-coap", Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    private CoapLoops() {
    }
}
