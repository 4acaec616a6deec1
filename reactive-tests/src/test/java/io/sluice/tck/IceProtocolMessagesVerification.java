package io.sluice.tck;

import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceVersion;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceConnections;
import io.sluice.ice.IceConnector;
import io.sluice.ice.IceListener;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link IceProtocolSession#messages()} under the Reactive Streams TCK, over real ICE connections
 * on a UNIX socket: for each publisher a Sluice originator sets up a protocol with a Sluice
 * listener, which sends the elements; a ping round trip then proves they have all arrived (one
 * connection, in order) and the originator shuts its side of the protocol down, which completes
 * the stream. At most {@link IceProtocolSession#BUFFER} elements: the stream buffers that many for
 * a slow subscriber and drops (with a count) beyond.
 */
public class IceProtocolMessagesVerification extends PublisherVerification<IceMessage.Generic> {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final IceProtocol TCK = IceProtocol.of("TCK", "Sluice", "0.1", new IceVersion(1, 0)).withHostBasedAuth(host -> true);

    private final java.util.concurrent.BlockingQueue<IceProtocolSession> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
    private Path dir;
    private LiveIceListener listener;
    private final IceConnections registry = IceConnections.create();

    public IceProtocolMessagesVerification() {
        super(TckEnvironment.create());
    }

    @BeforeClass
    public void listen() throws IOException {
        dir = Files.createTempDirectory("sluice-ice-tck");
        listener = IceListener.create().registry(registry).unix(dir.resolve("tck.sock")).hostBasedAuth(host -> true)
                .protocols(TCK.onActivate(accepted::add)).bind().block(WAIT);
        listener.connections().subscribe();
    }

    @AfterClass
    public void close() throws IOException {
        listener.dispose();
        registry.open().forEach(IceConnection::dispose);
        Files.deleteIfExists(dir.resolve("tck.sock"));
        Files.deleteIfExists(dir);
    }

    @Override
    public Publisher<IceMessage.Generic> createPublisher(long elements) {
        try {
            return publisher(elements);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Publisher<IceMessage.Generic> publisher(long elements) throws InterruptedException {
        IceConnection client = IceConnector.create().registry(registry).authority(IceAuthority.empty()).protocols(TCK)
                .open(listener.listenNetworkIds().get(0), new Object(), null).block(WAIT);
        IceProtocolSession session = client.setup(TCK).block(WAIT);
        IceProtocolSession server = accepted.poll(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        if (server == null) {
            throw new IllegalStateException("the listener did not activate TCK");
        }
        Flux.range(0, (int) elements).concatMap(i -> server.send(1, i & 0xff, 0, new byte[0]))
                .then(Mono.defer(client::ping))
                .doFinally(s -> {
                    session.shutdown();
                    server.shutdown();
                    client.shutdownNegotiation(false);
                    client.dispose();
                }).subscribe(v -> { }, e -> { });
        return session.messages();
    }

    @Override
    public Publisher<IceMessage.Generic> createFailedPublisher() {
        return null; // a protocol session only fails when its connection breaks; covered by the sdk's tests
    }

    @Override
    public long maxElementsFromPublisher() {
        return IceProtocolSession.BUFFER;
    }
}
