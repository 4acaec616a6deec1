package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A DTLS server on a socket per event loop (SO_REUSEPORT): every client is served, the caps stay server-wide. */
class DtlsReusePortTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);

    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    @Test
    void clientsSpreadOverTheSocketsAreAllServedAndTheServerClosesEverySocket() {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "SO_REUSEPORT needs Netty's native epoll transport");
        server = DtlsServer.psk("sluice", id -> KEY).reusePort(true).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        assertThat(server.sockets()).isGreaterThanOrEqualTo(2);
        DtlsPskTest.echo(server);
        List<String> answers = Flux.range(0, 24)
                .flatMap(i -> DtlsClient.psk("client-" + i, KEY).connect(server.localAddress())
                        .flatMap(s -> s.receive().map(DtlsPskTest::text).next()
                                .doOnSubscribe(x -> s.send(Flux.just("hi " + i).map(DtlsPskTest::utf8)).subscribe())
                                .flatMap(answer -> s.close().thenReturn(answer))), 8)
                .collectList().block(TIMEOUT);
        assertThat(answers).hasSize(24).allSatisfy(a -> assertThat(a).startsWith("HI "));
        assertThat(server.established()).isEqualTo(24);
        server.dispose();
        Mono.when(server.onDispose()).block(TIMEOUT);
    }

    @Test
    void theSessionCapHoldsOverEverySocket() {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "SO_REUSEPORT needs Netty's native epoll transport");
        server = DtlsServer.psk("sluice", id -> KEY).reusePort(true).maxSessions(5).bind(new InetSocketAddress("127.0.0.1", 0))
                .block(TIMEOUT);
        List<DtlsSession> held = Flux.range(0, 5).concatMap(i -> DtlsClient.psk("client-" + i, KEY).connect(server.localAddress()))
                .collectList().block(TIMEOUT);
        assertThat(server.connections()).isEqualTo(5);
        // The sixth, from whichever socket the kernel picks, finds the server full and never completes.
        Mono<DtlsSession> sixth = DtlsClient.psk("client-6", KEY).handshakeTimeout(Duration.ofSeconds(3)).connect(server.localAddress());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sixth.block(TIMEOUT)).isInstanceOf(DtlsException.class);
        assertThat(server.connections()).isEqualTo(5);
        held.forEach(s -> s.close().block(TIMEOUT));
    }
}
