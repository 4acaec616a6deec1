package io.sluice.dtls.packet;

import reactor.netty.resources.LoopResources;

/** The event loops every Sluice UDP socket runs on: native epoll where available, else NIO. */
final class UdpLoops {

    static final LoopResources LOOPS = LoopResources.create("sluice-udp", 1,
            Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    private UdpLoops() {
    }
}
