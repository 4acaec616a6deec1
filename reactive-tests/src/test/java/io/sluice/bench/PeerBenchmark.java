package io.sluice.bench;

import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import io.rsocket.core.RSocketConnector;
import io.rsocket.core.RSocketServer;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import io.rsocket.util.DefaultPayload;
import io.sluice.peer.CallType;
import io.sluice.peer.Dispatch;
import io.sluice.peer.LivePeer;
import io.sluice.peer.PayloadCodecs;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.peer.PeerProtocol;
import io.sluice.peer.PeerSession;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Request/response calls per second and latency for Sluice peers over TCP and a UNIX socket,
 * beside RSocket-java request/response over TCP, in one run on loopback. Both echo a 16-byte
 * UTF-8 string that each side decodes, with 1 and 64 calls in flight on one connection.
 */
final class PeerBenchmark {

    private static final String PAYLOAD = "ping-0123456789a";
    private static final CallType<String, String> ECHO = CallType.unary(1, "echo", PayloadCodecs.utf8(),
            PayloadCodecs.utf8());

    private PeerBenchmark() {
    }

    static void run(LoadRun.Settings settings) throws Exception {
        Path dir = Files.createTempDirectory("sluice-bench");
        Path socket = dir.resolve("peer.sock");
        PeerProtocol protocol = PeerProtocol.of(ECHO);
        LivePeer server = Peer.create(protocol)
                .dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(text)))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0), PeerEndpoint.unix(socket))
                .start().block(Duration.ofSeconds(10));
        InetSocketAddress tcp = (InetSocketAddress) server.listenAddresses().get(0);
        LivePeer tcpClient = Peer.create(protocol).connectTo(PeerEndpoint.tcp(tcp)).start().block();
        LivePeer unixClient = Peer.create(protocol).connectTo(PeerEndpoint.unix(socket)).start().block();
        PeerSession overTcp = tcpClient.connect();
        PeerSession overUnix = unixClient.connect();

        CloseableChannel rsocketServer = RSocketServer.create(SocketAcceptor.forRequestResponse(p -> {
                    String text = p.getDataUtf8();
                    p.release();
                    return Mono.just(DefaultPayload.create(text));
                }))
                .payloadDecoder(PayloadDecoder.ZERO_COPY)
                .bind(TcpServerTransport.create("127.0.0.1", 0))
                .block(Duration.ofSeconds(10));
        RSocket rsocket = RSocketConnector.create().payloadDecoder(PayloadDecoder.ZERO_COPY)
                .connect(TcpClientTransport.create(rsocketServer.address()))
                .block(Duration.ofSeconds(10));

        Supplier<Mono<?>> rsocketCall = () -> rsocket.requestResponse(DefaultPayload.create(PAYLOAD)).map(p -> {
            String text = p.getDataUtf8();
            p.release();
            return text;
        });
        List<LoadRun.Scenario> scenarios = new ArrayList<>();
        for (int inFlight : new int[] {1, 64}) {
            scenarios.add(new LoadRun.Scenario("Sluice peer, TCP", inFlight, () -> overTcp.call(ECHO, PAYLOAD)));
            scenarios.add(new LoadRun.Scenario("Sluice peer, UNIX socket", inFlight, () -> overUnix.call(ECHO, PAYLOAD)));
            scenarios.add(new LoadRun.Scenario("RSocket-java 1.1.5, TCP", inFlight, rsocketCall));
        }
        List<LoadRun.Result> results = LoadRun.measureAll(scenarios, settings);

        System.out.println("Peer request/response, loopback, median of " + settings.rounds() + " rounds of "
                + settings.measure().toSeconds() + " s per scenario after " + settings.warmup().toSeconds() + " s warm-up, " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.println(LoadRun.header());
        results.forEach(r -> System.out.println(r.row()));
        System.out.println();
        for (int i = 0; i < results.size(); i += 3) {
            LoadRun.Result sTcp = results.get(i);
            LoadRun.Result sUnix = results.get(i + 1);
            LoadRun.Result rs = results.get(i + 2);
            System.out.println(String.format(Locale.ROOT,
                    "%d in flight: Sluice TCP / RSocket throughput %.2fx, p99 %.2fx (lower is better); UNIX / TCP throughput %.2fx",
                    sTcp.inFlight(), sTcp.perSecond() / rs.perSecond(), (double) sTcp.p99Nanos() / rs.p99Nanos(),
                    sUnix.perSecond() / sTcp.perSecond()));
        }

        rsocket.dispose();
        rsocketServer.dispose();
        tcpClient.disposeNow(Duration.ofSeconds(10));
        unixClient.disposeNow(Duration.ofSeconds(10));
        server.disposeNow(Duration.ofSeconds(10));
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
