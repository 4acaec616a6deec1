package io.sluice.ice;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/** The NIO event loops ICE connections run on ("sluice-ice-…", daemon): NIO serves TCP and UNIX sockets alike. */
final class IceLoops {

    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("sluice-ice", true), NioIoHandler.newFactory());

    private IceLoops() {
    }
}
