package io.sluice.samples.xsmp;

import io.sluice.codec.ice.IceMessage;
import io.sluice.ice.IceAuthMethod;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceListener;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * An XSMP 1.0 session manager on an {@link IceListener}: listens on a UNIX socket and loopback
 * TCP, makes MIT-MAGIC-COOKIE-1 cookies for ICE and XSMP on each of its network IDs and writes
 * them to an {@code .ICEauthority} file for its clients, registers clients (a new client ID for
 * each, then the initial SaveYourself the protocol prescribes) and, on {@link #shutdown()}, runs
 * every client through SaveYourself (shutdown), SaveYourselfDone and Die until it closes.
 *
 * <p>What happens is reported as text lines on {@link #events()}. Thread-safe; {@link #dispose()}
 * stops listening and closes every client connection.
 */
public final class XsmpSessionManager implements Disposable {

    private final LiveIceListener listener;
    private final Sinks.Many<String> events = Sinks.many().replay().limit(1024);
    private final Map<IceProtocolSession, Client> clients = new ConcurrentHashMap<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private final Sinks.Empty<Void> allClosed = Sinks.empty();
    private volatile boolean shuttingDown;
    private Disposable accepting;

    private enum Phase { INITIAL_SAVE, IDLE, SHUTDOWN_SAVE, DYING }

    private static final class Client {
        final String id;
        volatile Phase phase = Phase.INITIAL_SAVE;

        Client(String id) {
            this.id = id;
        }
    }

    private XsmpSessionManager(LiveIceListener listener) {
        this.listener = listener;
    }

    /**
     * Binds the session manager and writes its cookies.
     *
     * @param socket the UNIX socket path to listen on (a loopback TCP port is chosen too)
     * @param iceAuthority the {@code .ICEauthority} file to write the cookies to (mode 0600)
     * @return the running session manager, once its network IDs are published
     */
    public static Mono<XsmpSessionManager> start(Path socket, Path iceAuthority) {
        IceProtocol xsmp = IceProtocol.of(Xsmp.PROTOCOL_NAME, "Sluice", "0.1", Xsmp.VERSION).withAuth(IceAuthMethod.mitMagicCookie1());
        return IceListener.create().unix(socket).tcp("127.0.0.1", 0).vendor("SluiceSM", "0.1").protocols(xsmp).bind()
                .publishOn(Schedulers.boundedElastic())
                .map(listener -> {
                    IceAuthority cookies = IceAuthority.empty().withNewCookies(listener.listenNetworkIds(), List.of("ICE", Xsmp.PROTOCOL_NAME));
                    cookies.write(iceAuthority);
                    listener.authority(cookies);
                    XsmpSessionManager sm = new XsmpSessionManager(listener);
                    sm.accepting = listener.connections().subscribe(sm::serve);
                    return sm;
                });
    }

    /** @return the network-ID list clients connect to ({@code SESSION_MANAGER}) */
    public String networkIds() {
        return listener.networkIds();
    }

    /** @return what happened, as lines; replays the last 1024 to a late subscriber */
    public Flux<String> events() {
        return events.asFlux();
    }

    /** @return how many clients are registered and not yet closed */
    public int clientCount() {
        return clients.size();
    }

    /**
     * Asks every registered client to save itself for a shutdown, then to die.
     *
     * @return completes when the last client has closed its connection
     */
    public Mono<Void> shutdown() {
        shuttingDown = true;
        clients.forEach((session, client) -> {
            if (client.phase == Phase.IDLE) {
                askToSave(session, client);
            }
        });
        if (clients.isEmpty()) {
            allClosed.tryEmitEmpty();
        }
        return allClosed.asMono();
    }

    private void serve(IceConnection connection) {
        emit("ICE connection from " + connection.vendor() + " " + connection.release() + " on " + connection.connectionString());
        connection.acceptedProtocols().subscribe(session -> {
            emit("protocol " + session.protocol().name() + " " + session.version() + " set up by " + session.vendor() + " "
                    + session.release() + " (major opcode " + session.majorOpcode() + " here, " + session.peerMajorOpcode() + " there)");
            session.messages().subscribe(m -> handle(session, m), e -> closed(session, e.getMessage()), () -> closed(session, "protocol ended"));
        });
    }

    private void handle(IceProtocolSession session, IceMessage.Generic m) {
        ByteOrder peer = session.connection().peerByteOrder();
        Client client = clients.get(session);
        switch (m.minorOpcode()) {
            case Xsmp.REGISTER_CLIENT -> {
                String previous = Xsmp.readArray8(Xsmp.body(m.body(), peer));
                Client fresh = new Client(newClientId());
                clients.put(session, fresh);
                emit("RegisterClient (previous ID '" + previous + "') -> client ID " + fresh.id);
                session.send(Xsmp.REGISTER_CLIENT_REPLY, 0, 0, Xsmp.array8(fresh.id, ByteOrder.BIG_ENDIAN))
                        // A new client saves its initial state at once (XSMP, RegisterClientReply).
                        .then(session.send(Xsmp.SAVE_YOURSELF, 0, 0, Xsmp.saveYourself(Xsmp.SAVE_LOCAL, false, Xsmp.INTERACT_NONE, false)))
                        .subscribe(v -> { }, e -> closed(session, e.getMessage()));
                emit("SaveYourself (local, no shutdown) -> " + fresh.id);
            }
            case Xsmp.SAVE_YOURSELF_DONE -> {
                if (client == null) {
                    return;
                }
                emit("SaveYourselfDone (success " + (m.data0() != 0) + ") <- " + client.id);
                if (client.phase == Phase.SHUTDOWN_SAVE) {
                    client.phase = Phase.DYING;
                    emit("Die -> " + client.id);
                    session.send(Xsmp.DIE, 0, 0, new byte[0]).subscribe(v -> { }, e -> closed(session, e.getMessage()));
                } else {
                    client.phase = Phase.IDLE;
                    if (shuttingDown) {
                        askToSave(session, client);
                    }
                }
            }
            case Xsmp.CLOSE_CONNECTION -> {
                List<String> reasons = Xsmp.readListOfArray8(Xsmp.body(m.body(), peer));
                emit("CloseConnection " + reasons + " <- " + (client == null ? "an unregistered client" : client.id));
                closed(session, null);
            }
            default -> emit("XSMP minor opcode " + m.minorOpcode() + " ignored");
        }
    }

    private void askToSave(IceProtocolSession session, Client client) {
        client.phase = Phase.SHUTDOWN_SAVE;
        emit("SaveYourself (both, shutdown) -> " + client.id);
        session.send(Xsmp.SAVE_YOURSELF, 0, 0, Xsmp.saveYourself(Xsmp.SAVE_BOTH, true, Xsmp.INTERACT_NONE, false))
                .subscribe(v -> { }, e -> closed(session, e.getMessage()));
    }

    private void closed(IceProtocolSession session, String why) {
        Client client = clients.remove(session);
        if (client != null) {
            if (why != null) {
                emit(client.id + " went away: " + why);
            }
            session.shutdown();
        }
        if (shuttingDown && clients.isEmpty()) {
            allClosed.tryEmitEmpty();
        }
    }

    /** XSMP's client-ID format: version 1, IPv4 address in hex, time in ms, process ID, a sequence. */
    private String newClientId() {
        return String.format(Locale.ROOT, "11%08X%013d%010d%04d", 0x7F000001, System.currentTimeMillis(), ProcessHandle.current().pid(),
                sequence.incrementAndGet() % 10000);
    }

    private void emit(String line) {
        events.emitNext(line, Sinks.EmitFailureHandler.busyLooping(java.time.Duration.ofSeconds(1)));
    }

    @Override
    public void dispose() {
        if (accepting != null) {
            accepting.dispose();
        }
        listener.dispose();
        clients.keySet().forEach(s -> s.connection().dispose());
        events.tryEmitComplete();
    }
}
