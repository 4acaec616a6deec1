package io.sluice.tck;

import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
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
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A peer server and a client session on loopback, for the TCK verifications of peer calls. */
final class PeerFixture implements AutoCloseable {

    static final MessageCodec<Long> LONG = new MessageCodec<>() {
        @Override
        public Long decode(ByteBuf in, Limits limits) {
            if (in.readableBytes() != 8) {
                throw CodecException.malformed(0, "a long is 8 bytes");
            }
            return in.readLong();
        }

        @Override
        public void encode(Long message, ByteBuf out) {
            out.writeLong(message);
        }
    };

    static final CallType<String, String> ECHO = CallType.unary(1, "echo", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<Long, Long> RANGE = CallType.stream(2, "range", LONG, LONG);
    static final CallType<String, String> MISSING = CallType.unary(3, "missing", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<Long, Long> MISSING_STREAM = CallType.stream(4, "missing-stream", LONG, LONG);
    static final PeerProtocol PROTOCOL = PeerProtocol.of(ECHO, RANGE, MISSING, MISSING_STREAM);

    private final LivePeer server;
    private final LivePeer client;
    final PeerSession session;
    /** A session that was disconnected: every call on it fails at once, demand or not. */
    final PeerSession disconnected;

    PeerFixture() {
        server = Peer.create(PROTOCOL)
                .dispatch(Dispatch.create()
                        .handle(ECHO, (call, text) -> Mono.just(text))
                        .handle(RANGE, (call, n) -> Flux.range(0, n.intValue()).map(Integer::longValue)))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0))
                .start().block(Duration.ofSeconds(10));
        client = Peer.create(PROTOCOL)
                .connectTo(PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0)))
                .start().block(Duration.ofSeconds(10));
        session = client.connect();
        disconnected = client.connect();
        disconnected.disconnect().block(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        client.disposeNow(Duration.ofSeconds(10));
        server.disposeNow(Duration.ofSeconds(10));
    }
}
