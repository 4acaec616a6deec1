package io.sluice.tck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code DtlsSession.receive()} under the Reactive Streams TCK: a real PSK server on loopback
 * answers a request for n records with n records and close_notify, so the stream completes.
 * Records are released by a {@code map}, which passes every signal through unchanged.
 */
public class DtlsSessionReceiveVerification extends PublisherVerification<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final byte[] KEY = "tck-psk-01234567".getBytes(StandardCharsets.US_ASCII);
    private LiveDtlsServer server;
    private final List<DtlsSession> sessions = new CopyOnWriteArrayList<>();

    public DtlsSessionReceiveVerification() {
        super(TckEnvironment.datagram());
    }

    /** The server under test; a subclass runs it over another packet path. */
    protected LiveDtlsServer startServer(DtlsServer spec) {
        return spec.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
    }

    /** A client session with the server; a subclass runs it over another packet path. */
    protected DtlsSession connect(DtlsClient spec, InetSocketAddress server) {
        return spec.connect(server).block(TIMEOUT);
    }

    @BeforeClass
    public void startServer() {
        server = startServer(DtlsServer.psk(null, id -> KEY));
        server.sessions().subscribe(s -> s.receive().next()
                .map(request -> {
                    try {
                        return request.getInt(request.readerIndex());
                    } finally {
                        request.release();
                    }
                })
                .flatMap(n -> s.send(Flux.range(0, n).map(i -> Unpooled.buffer(4).writeInt(i))))
                .then(s.close())
                .subscribe(null, e -> s.dispose()));
    }

    @AfterClass
    public void stopServer() {
        server.dispose();
    }

    /** Releases records a test left unread (some TCK rules never drain a publisher). */
    @AfterMethod
    public void disposeSessions() {
        sessions.forEach(DtlsSession::dispose);
        sessions.clear();
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        DtlsSession session = connect(DtlsClient.psk("tck", KEY), server.localAddress());
        sessions.add(session);
        session.send(Mono.fromSupplier(() -> Unpooled.buffer(4).writeInt((int) elements))).block(TIMEOUT);
        return session.receive().map(DtlsSessionReceiveVerification::value);
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        DtlsSession session = connect(DtlsClient.psk("tck", KEY), server.localAddress());
        sessions.add(session);
        session.receive().subscribe(ByteBuf::release);
        // Records go to one subscriber: the second one fails.
        return session.receive().map(DtlsSessionReceiveVerification::value);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 64;
    }

    private static int value(ByteBuf record) {
        try {
            return record.getInt(record.readerIndex());
        } finally {
            record.release();
        }
    }
}
