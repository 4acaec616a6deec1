package io.sluice.samples.demo;

import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import io.sluice.peer.CallTrace;
import io.sluice.peer.CallType;
import io.sluice.peer.Dispatch;
import io.sluice.peer.LivePeer;
import io.sluice.peer.PayloadCodecs;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.peer.PeerProtocol;
import io.sluice.peer.PeerSession;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The peers part of the demo: a server on a UNIX socket and on TCP, a client calling it over
 * each, a streamed call consumed two elements at a time, and the server's trace stream.
 */
final class PeerDemo {

    private static final MessageCodec<Integer> INT = new MessageCodec<>() {
        @Override
        public Integer decode(ByteBuf in, Limits limits) {
            if (in.readableBytes() != 4) {
                throw CodecException.malformed(0, "an int is 4 bytes");
            }
            return in.readInt();
        }

        @Override
        public void encode(Integer value, ByteBuf out) {
            out.writeInt(value);
        }
    };

    private static final CallType<String, String> GREET = CallType.unary(1, "greet", PayloadCodecs.utf8(),
            PayloadCodecs.utf8());
    private static final CallType<Integer, String> TICKS = CallType.stream(2, "ticks", INT, PayloadCodecs.utf8());
    private static final PeerProtocol PROTOCOL = PeerProtocol.of(GREET, TICKS);

    private PeerDemo() {
    }

    static void run() throws Exception {
        Path dir = Files.createTempDirectory("sluice-demo");
        Path socket = dir.resolve("peer.sock");
        AtomicLong produced = new AtomicLong();
        LivePeer server = Peer.create(PROTOCOL)
                .dispatch(Dispatch.create()
                        .handle(GREET, (call, name) -> Mono.just("hello " + name + ", from " + call.session().localAddress()))
                        .handle(TICKS, (call, count) -> Flux.range(1, count)
                                .doOnNext(i -> produced.incrementAndGet())
                                .map(i -> "tick " + i)))
                .listen(PeerEndpoint.unix(socket), PeerEndpoint.tcp("127.0.0.1", 0))
                .start().block(Duration.ofSeconds(10));
        System.out.println("  server listening on " + server.listenAddresses());
        Disposable traces = server.traces()
                .filter(t -> t.phase() == CallTrace.Phase.END)
                .subscribe(t -> System.out.println("  [trace] " + t));

        InetSocketAddress tcp = (InetSocketAddress) server.listenAddresses().get(1);
        LivePeer client = Peer.create(PROTOCOL).connectTo(PeerEndpoint.unix(socket), PeerEndpoint.tcp(tcp))
                .start().block(Duration.ofSeconds(10));
        PeerSession session = client.connect();
        System.out.println("  client session " + session.state() + " until its first call");
        System.out.println("  greet over the UNIX socket -> " + session.call(GREET, "unix").block(Duration.ofSeconds(10)));

        LivePeer tcpClient = Peer.create(PROTOCOL).connectTo(PeerEndpoint.tcp(tcp)).start().block(Duration.ofSeconds(10));
        System.out.println("  greet over TCP -> " + tcpClient.connect().call(GREET, "tcp").block(Duration.ofSeconds(10)));

        // Ask for a million ticks but take them two at a time and stop after six: the server
        // produces only what was requested over the wire, then the cancel stops it.
        String ticks = session.stream(TICKS, 1_000_000).limitRate(2).take(6).collectList()
                .map(String::valueOf).block(Duration.ofSeconds(10));
        System.out.println("  streamed call, demand 2 at a time, cancelled after 6 -> " + ticks
                + "; the server produced " + produced.get() + " of 1000000");

        session.disconnect().block(Duration.ofSeconds(10));
        System.out.println("  client session " + session.state() + " after disconnect");
        traces.dispose();
        tcpClient.disposeNow(Duration.ofSeconds(10));
        client.disposeNow(Duration.ofSeconds(10));
        server.disposeNow(Duration.ofSeconds(10));
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
