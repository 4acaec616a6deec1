package io.sluice.dtls.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** DTLS sessions move record crypto off any thread Reactor calls non-blocking; the UDP event loops must be such threads. */
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
}
