package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.tck.SubscriberBlackboxVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The subscriber behind {@code DtlsSession.send(publisher)} under the Reactive Streams TCK: the
 * TCK plays the publisher, and each element it sends goes out as a real AES-GCM record from an
 * established PSK session to a server on loopback, which reads and releases it. The subscriber is
 * the one the session subscribes to the given publisher with, captured as it subscribes.
 */
public class DtlsSessionSendVerification extends SubscriberBlackboxVerification<ByteBuf> {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private LiveDtlsServer server;
    private DtlsSession session;

    public DtlsSessionSendVerification() {
        super(TckEnvironment.datagram());
    }

    @BeforeClass
    public void connect() {
        server = DtlsServer.psk(null, id -> DtlsSessionReceiveVerification.KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        server.sessions().subscribe(s -> s.receive().subscribe(ByteBuf::release, e -> { }));
        session = DtlsClient.psk("tck", DtlsSessionReceiveVerification.KEY).connect(server.localAddress()).block(TIMEOUT);
    }

    @AfterClass
    public void disconnect() {
        session.dispose();
        server.dispose();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Subscriber<ByteBuf> createSubscriber() {
        AtomicReference<Subscriber<? super ByteBuf>> sending = new AtomicReference<>();
        Publisher<ByteBuf> played = sending::set;
        session.send(played).subscribe(null, e -> { });
        return (Subscriber<ByteBuf>) sending.get();
    }

    @Override
    public ByteBuf createElement(int element) {
        return Unpooled.buffer(4).writeInt(element);
    }
}
