package io.sluice.dtls.session;

import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DtlsRx;
import io.sluice.dtls.packet.DtlsTx;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A DTLS client whose handshake the test holds in the middle: every datagram it receives after the
 * first (the server's HelloVerifyRequest) waits until the gate opens, so the server is provably
 * in its handshake until then. No timing involved.
 */
final class HeldHandshake {

    private HeldHandshake() {
    }

    /** Datagrams after the first {@code pass} wait for {@code gate}. */
    static Publisher<DatagramPacket> holdAfter(Flux<DatagramPacket> in, long pass, Sinks.Empty<Void> gate) {
        return in.index().concatMap(t -> t.getT1() < pass ? Mono.just(t.getT2()) : Mono.just(t.getT2()).delayUntil(p -> gate.asMono()));
    }

    /** Connects {@code spec} to {@code server} from a socket of its own (added to {@code owned}), held after the cookie exchange. */
    static Mono<DtlsSession> connect(DtlsClient spec, InetSocketAddress server, Sinks.Empty<Void> gate, Disposable.Composite owned) {
        return UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).flatMap(socket -> {
            owned.add(socket);
            return DtlsRx.spec().on(socket).zipWith(DtlsTx.to(server).on(socket))
                    .flatMap(rxTx -> spec.connect(PacketPipe.of(holdAfter(rxTx.getT1().packets(), 1, gate), rxTx.getT2()), server));
        });
    }
}
