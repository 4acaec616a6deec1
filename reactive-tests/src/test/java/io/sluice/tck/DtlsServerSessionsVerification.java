package io.sluice.tck;

import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.testing.Await;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterMethod;
import reactor.core.publisher.Flux;

/**
 * {@code LiveDtlsServer.sessions()} under the Reactive Streams TCK: n clients complete their
 * handshakes with a fresh server, which is then disposed so the stream completes.
 */
public class DtlsServerSessionsVerification extends PublisherVerification<String> {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "tck-psk-01234567".getBytes(StandardCharsets.US_ASCII);
    private final List<LiveDtlsServer> servers = new CopyOnWriteArrayList<>();
    private final List<DtlsSession> clients = new CopyOnWriteArrayList<>();

    public DtlsServerSessionsVerification() {
        super(TckEnvironment.datagram());
    }

    @AfterMethod
    public void stopAll() {
        clients.forEach(DtlsSession::dispose);
        clients.clear();
        servers.forEach(LiveDtlsServer::dispose);
        servers.clear();
    }

    private LiveDtlsServer serverWith(long handshakes) {
        LiveDtlsServer server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        servers.add(server);
        List<DtlsSession> sessions = Flux.range(0, (int) handshakes)
                .flatMap(i -> DtlsClient.psk("tck-" + i, KEY).connect(server.localAddress()), 4)
                .collectList().block(TIMEOUT);
        clients.addAll(sessions);
        // The server may finish its side just after the client did.
        Await.until(() -> server.established() >= handshakes, TIMEOUT);
        return server;
    }

    @Override
    public Publisher<String> createPublisher(long elements) {
        LiveDtlsServer server = serverWith(elements);
        server.dispose();
        return server.sessions().map(s -> new String(s.pskIdentity().orElseThrow(), StandardCharsets.UTF_8));
    }

    @Override
    public Publisher<String> createFailedPublisher() {
        LiveDtlsServer server = serverWith(0);
        server.sessions().subscribe();
        // Sessions go to one subscriber: the second one fails.
        return server.sessions().map(DtlsSession::cipherSuite);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 8;
    }
}
