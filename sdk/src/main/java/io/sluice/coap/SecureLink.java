package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.security.SecureDatagramSession;
import java.net.InetSocketAddress;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One DTLS session (through the security SPI) as an endpoint's link. Outbound messages go through
 * a bounded queue into the session's demand-driven {@code send}; a full queue drops and counts,
 * which CON retransmission recovers from. Inbound payloads are requested a window at a time and
 * processed on the endpoint's loop before more are requested.
 */
final class SecureLink implements Link {

    private static final int OUTBOUND_QUEUE = 256;
    private static final int INBOUND_WINDOW = 64;

    private final SecureDatagramSession session;
    private final Sinks.Many<ByteBuf> outbound = Sinks.many().unicast().onBackpressureBuffer(Queues.<ByteBuf>get(OUTBOUND_QUEUE).get());
    private final CoapTraffic traffic;

    SecureLink(SecureDatagramSession session, CoapTraffic traffic) {
        this.session = session;
        this.traffic = traffic;
    }

    /** Starts both directions; {@code onEnd} runs on the endpoint loop when the session ends. */
    void start(CoapEndpoint endpoint, Runnable onEnd) {
        session.send(outbound.asFlux().doOnDiscard(ByteBuf.class, ByteBuf::release)).subscribe(null, e -> { }, null);
        session.receive().subscribe(new BaseSubscriber<ByteBuf>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(INBOUND_WINDOW);
            }

            @Override
            protected void hookOnNext(ByteBuf payload) {
                endpoint.onLoop(() -> {
                    try {
                        endpoint.onDatagram(payload, session.remoteAddress(), false);
                    } finally {
                        payload.release();
                    }
                    request(1);
                });
            }

            @Override
            protected void hookFinally(reactor.core.publisher.SignalType type) {
                endpoint.onLoop(onEnd);
            }
        });
    }

    @Override
    public void send(CoapMessage message, InetSocketAddress to) {
        ByteBuf out = ByteBufAllocator.DEFAULT.buffer(CoapMessageCodec.INSTANCE.encodedSize(message));
        CoapMessageCodec.INSTANCE.encode(message, out);
        traffic.sent(message, out, to == null ? session.remoteAddress() : to);
        if (outbound.tryEmitNext(out).isFailure()) {
            out.release();
            traffic.unsent.increment();
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return session.localAddress();
    }

    @Override
    public void close() {
        outbound.tryEmitComplete();
        session.dispose();
    }
}
