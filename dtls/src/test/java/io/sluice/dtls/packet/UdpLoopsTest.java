package io.sluice.dtls.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The UDP event loops: non-blocking threads (DTLS sessions move record crypto off any thread Reactor
 * calls non-blocking, so the loops must be such threads), and sockets spread over all of them.
 */
class UdpLoopsTest {

    @Test
    void udpEventLoopThreadsAreMarkedNonBlocking() {
        UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(Duration.ofSeconds(10));
        try {
            Boolean nonBlocking = Mono.fromCallable(Schedulers::isInNonBlockingThread)
                    .subscribeOn(Schedulers.fromExecutor(socket.eventLoop()))
                    .block(Duration.ofSeconds(10));
            assertThat(nonBlocking).isTrue();
        } finally {
            socket.dispose();
        }
    }

    /** Every socket used to land on the same loop, so a client and a server in one process shared one core. */
    @Test
    void socketsBoundOneAfterAnotherRunOnEveryLoop() {
        java.util.List<UdpSocket> sockets = new java.util.ArrayList<>();
        try {
            java.util.Set<io.netty.channel.EventLoop> loops = new java.util.HashSet<>();
            UdpLoops.LOOPS.onClient(true).forEach(e -> loops.add((io.netty.channel.EventLoop) e));
            java.util.Set<io.netty.channel.EventLoop> used = new java.util.HashSet<>();
            for (int i = 0; i < loops.size(); i++) {
                UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(Duration.ofSeconds(10));
                sockets.add(socket);
                used.add(socket.eventLoop());
            }
            assertThat(loops).hasSizeGreaterThanOrEqualTo(2);
            assertThat(used).isEqualTo(loops);
        } finally {
            sockets.forEach(UdpSocket::dispose);
        }
    }
}
