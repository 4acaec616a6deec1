package io.sluice.dtls.packet;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.netty.resources.LoopResources;

/** The event loops every Sluice UDP socket runs on: native epoll where available, else NIO. */
final class UdpLoops {

    static final LoopResources LOOPS = LoopResources.create("sluice-udp", 1,
            Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    private static final AtomicInteger NEXT = new AtomicInteger();

    private UdpLoops() {
    }

    /**
     * The loop for a new socket, round robin over all of them, so that sockets (a server's and a
     * client's in one process, several servers) spread over the cores. Registering through the
     * group itself put every socket on the same loop: each bind took two turns of reactor-netty's
     * client group, which has two loops on a two-core machine.
     */
    static EventLoop next() {
        List<EventLoop> loops = Members.LOOPS;
        return loops.get(Math.floorMod(NEXT.getAndIncrement(), loops.size()));
    }

    /** Every loop of the group, in a fixed order. */
    static List<EventLoop> all() {
        return Members.LOOPS;
    }

    /** The datagram channel the loops run: Netty's native epoll one where available, else NIO's. */
    static Class<? extends DatagramChannel> channelType() {
        return LOOPS.onChannelClass(DatagramChannel.class, LOOPS.onClient(true));
    }

    /** The group's loops, listed once. */
    private static final class Members {
        static final List<EventLoop> LOOPS;

        static {
            List<EventLoop> loops = new ArrayList<>();
            UdpLoops.LOOPS.onClient(true).forEach(e -> loops.add((EventLoop) e));
            LOOPS = List.copyOf(loops);
        }
    }
}
