package io.sluice.samples.xsmp;

import io.sluice.codec.CodecException;
import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.ice.IceAuthMethod;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceListener;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * An XSMP 1.0 session manager on an {@link IceListener}: listens on a UNIX socket and loopback
 * TCP, makes MIT-MAGIC-COOKIE-1 cookies for ICE and XSMP on each of its network IDs and writes
 * them to an {@code .ICEauthority} file for its clients, and runs the protocol's session side:
 * <ul>
 * <li>registration: a new client ID for each client, then the initial SaveYourself (local, no
 *     shutdown, no interaction) the protocol prescribes;</li>
 * <li>checkpoints: {@link #checkpoint()}, {@link #shutdown()} and a client's SaveYourselfRequest
 *     (global: every client; local: that client alone). A checkpoint ends with SaveComplete when
 *     every client in it has sent SaveYourselfDone, a shutdown with Die. SaveYourselfPhase2 goes
 *     out once every client in the checkpoint is done or waiting for phase 2 and nobody is
 *     interacting. A client busy with one save joins the next checkpoint when it is done;</li>
 * <li>interaction: InteractRequest is granted with Interact to one client at a time, in order;
 *     InteractDone with cancel-shutdown during a shutdown sends ShutdownCancelled to the
 *     shutdown's clients and fails {@link #shutdown()};</li>
 * <li>properties: SetProperties, DeleteProperties, GetProperties / PropertiesReply, kept per
 *     client ({@link #properties(String)}).</li>
 * </ul>
 *
 * <p>What happens is reported as text lines on {@link #events()}. Thread-safe: messages from all
 * connections are handled one at a time under this object's lock, which is held only for
 * bookkeeping (sends are asynchronous). {@link #dispose()} stops listening and closes every
 * client connection.
 */
public final class XsmpSessionManager implements Disposable {

    private final LiveIceListener listener;
    private final Sinks.Many<String> events = Sinks.many().replay().limit(1024);
    private final AtomicInteger sequence = new AtomicInteger();
    private Disposable accepting;

    // Guarded by this.
    private final Map<IceProtocolSession, Client> clients = new LinkedHashMap<>();
    private final ArrayDeque<Client> interactQueue = new ArrayDeque<>();
    private Client interacting;
    private Checkpoint shutdown;

    private static final class Client {
        final IceProtocolSession session;
        final String id;
        final Map<String, XsmpProperty> properties = new LinkedHashMap<>();
        /** The checkpoint saving this client now, if any. */
        Checkpoint saving;
        /** Checkpoints it joins, in order, when the current one is done with it. */
        final ArrayDeque<Checkpoint> next = new ArrayDeque<>();

        Client(IceProtocolSession session, String id) {
            this.session = session;
            this.id = id;
        }
    }

    private static final class Checkpoint {
        final String name;
        final int saveType;
        final boolean shutdown;
        final int interactStyle;
        final boolean fast;
        final Set<Client> members = new LinkedHashSet<>();
        final Set<Client> done = new HashSet<>();
        final Set<Client> phase2 = new LinkedHashSet<>();
        final Sinks.Empty<Void> finished = Sinks.empty();
        boolean phase2Sent;
        boolean ended;
        String cancelledBy;

        Checkpoint(String name, int saveType, boolean shutdown, int interactStyle, boolean fast) {
            this.name = name;
            this.saveType = saveType;
            this.shutdown = shutdown;
            this.interactStyle = interactStyle;
            this.fast = fast;
        }

        boolean waitingOnlyForPhase2() {
            for (Client c : members) {
                if (!done.contains(c) && !phase2.contains(c)) {
                    return false;
                }
            }
            return !phase2.isEmpty();
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
    public synchronized int clientCount() {
        return clients.size();
    }

    /**
     * @param clientId a registered client's ID
     * @return the properties the client set, in the order it first set them; empty if it set
     *     none or is not registered
     */
    public synchronized List<XsmpProperty> properties(String clientId) {
        for (Client c : clients.values()) {
            if (c.id.equals(clientId)) {
                return List.copyOf(c.properties.values());
            }
        }
        return List.of();
    }

    /**
     * Checkpoints the session: every registered client saves (both local and global state,
     * interacting only for errors) and gets SaveComplete. The checkpoint starts when this is
     * called; the {@code Mono} only reports its end.
     *
     * @return completes when the last client in the checkpoint has sent SaveYourselfDone
     */
    public Mono<Void> checkpoint() {
        synchronized (this) {
            return begin(new Checkpoint("checkpoint", Xsmp.SAVE_BOTH, false, Xsmp.INTERACT_ERRORS, false), clients.values()).finished.asMono();
        }
    }

    /**
     * Shuts the session down: every registered client saves (it may interact with the user and
     * cancel the shutdown), then gets Die. It starts when this is called (the {@code Mono} only
     * reports its end); asking again while a shutdown runs joins it.
     *
     * @return completes when the last client has closed its connection; fails with
     *     {@link IllegalStateException} if a client cancelled the shutdown
     */
    public Mono<Void> shutdown() {
        synchronized (this) {
            if (shutdown == null) {
                shutdown = begin(new Checkpoint("shutdown", Xsmp.SAVE_BOTH, true, Xsmp.INTERACT_ANY, false), clients.values());
            }
            return shutdown.finished.asMono();
        }
    }

    private void serve(IceConnection connection) {
        emit("ICE connection from " + connection.vendor() + " " + connection.release() + " on " + connection.connectionString());
        connection.acceptedProtocols().subscribe(session -> {
            emit("protocol " + session.protocol().name() + " " + session.version() + " set up by " + session.vendor() + " "
                    + session.release() + " (major opcode " + session.majorOpcode() + " here, " + session.peerMajorOpcode() + " there)");
            session.messages().subscribe(m -> handle(session, m), e -> closed(session, e.getMessage()), () -> closed(session, "protocol ended"));
        });
    }

    private synchronized void handle(IceProtocolSession session, IceMessage.Generic m) {
        ByteBuffer body = Xsmp.body(m.body(), session.connection().peerByteOrder());
        Client client = clients.get(session);
        if (client == null && m.minorOpcode() != Xsmp.REGISTER_CLIENT && m.minorOpcode() != Xsmp.CLOSE_CONNECTION) {
            emit("XSMP minor opcode " + m.minorOpcode() + " from an unregistered client ignored");
            return;
        }
        try {
            switch (m.minorOpcode()) {
                case Xsmp.REGISTER_CLIENT -> register(session, Xsmp.readArray8(body));
                case Xsmp.SAVE_YOURSELF_REQUEST -> saveYourselfRequest(client, m.body());
                case Xsmp.INTERACT_REQUEST -> interactRequest(client, m.data0());
                case Xsmp.INTERACT_DONE -> interactDone(client, m.data0() != 0);
                case Xsmp.SAVE_YOURSELF_DONE -> saveYourselfDone(client, m.data0() != 0);
                case Xsmp.SAVE_YOURSELF_PHASE2_REQUEST -> phase2Request(client);
                case Xsmp.SET_PROPERTIES -> setProperties(client, Xsmp.readListOfProperty(body));
                case Xsmp.DELETE_PROPERTIES -> deleteProperties(client, Xsmp.readListOfArray8(body));
                case Xsmp.GET_PROPERTIES -> {
                    emit("GetProperties <- " + client.id + " -> PropertiesReply with " + client.properties.size());
                    send(client, Xsmp.PROPERTIES_REPLY, 0, Xsmp.listOfProperty(client.properties.values(), ByteOrder.BIG_ENDIAN));
                }
                case Xsmp.CLOSE_CONNECTION -> {
                    List<String> reasons = Xsmp.readListOfArray8(body);
                    emit("CloseConnection " + reasons + " <- " + (client == null ? "an unregistered client" : client.id));
                    closed(session, null);
                }
                default -> {
                    // As libSM's session side does: an opcode XSMP does not have earns a BadMinor error, and the client stays.
                    emit("XSMP minor opcode " + m.minorOpcode() + " from " + client.id + " -> BadMinor");
                    session.sendError(m.minorOpcode(), session.connection().lastReceivedSequenceNumber(), IceError.BAD_MINOR,
                            IceError.CAN_CONTINUE, new byte[0]).subscribe(v -> { }, e -> { });
                }
            }
        } catch (CodecException e) {
            // A malformed body: the client is broken; it goes, and the session carries on without it.
            emit("malformed XSMP message " + m.minorOpcode() + " from " + (client == null ? "an unregistered client" : client.id) + ": "
                    + e.getMessage());
            closed(session, "malformed message");
            session.connection().dispose();
        }
    }

    private void register(IceProtocolSession session, String previous) {
        if (clients.containsKey(session)) {
            emit("RegisterClient again on one connection ignored");
            return;
        }
        Client fresh = new Client(session, newClientId());
        clients.put(session, fresh);
        emit("RegisterClient (previous ID '" + previous + "') -> client ID " + fresh.id);
        send(fresh, Xsmp.REGISTER_CLIENT_REPLY, 0, Xsmp.array8(fresh.id, ByteOrder.BIG_ENDIAN));
        // A new client saves its initial state at once (XSMP, RegisterClientReply).
        begin(new Checkpoint("initial save of " + fresh.id, Xsmp.SAVE_LOCAL, false, Xsmp.INTERACT_NONE, false), List.of(fresh));
        if (shutdown != null && !shutdown.ended) {
            shutdown.members.add(fresh);
            fresh.next.add(shutdown);
        }
    }

    private void saveYourselfRequest(Client client, byte[] b) {
        if (b.length < 5) {
            throw CodecException.truncated(b.length, "a SaveYourselfRequest needs 8 bytes, got " + b.length);
        }
        int type = b[0];
        boolean shutdownToo = b[1] != 0;
        int style = b[2];
        boolean fast = b[3] != 0;
        boolean global = b[4] != 0;
        emit("SaveYourselfRequest (type " + type + ", shutdown " + shutdownToo + ", global " + global + ") <- " + client.id);
        if (!global) {
            // A local request saves the requester alone, and never shuts anything down.
            begin(new Checkpoint("save requested by " + client.id, type, false, style, fast), List.of(client));
        } else if (shutdownToo) {
            shutdown().subscribe(v -> { }, e -> { });
        } else {
            begin(new Checkpoint("checkpoint requested by " + client.id, type, false, style, fast), clients.values()).finished.asMono()
                    .subscribe(v -> { }, e -> { });
        }
    }

    private Checkpoint begin(Checkpoint cp, Collection<Client> members) {
        emit(cp.name + " begins with " + members.size() + " client(s)");
        cp.members.addAll(members);
        for (Client c : List.copyOf(members)) {
            if (c.saving == null) {
                saveYourself(c, cp);
            } else {
                // It is saving for another checkpoint; this one waits for it (XSMP allows one save at a time).
                c.next.add(cp);
            }
        }
        advance(cp);
        return cp;
    }

    private void saveYourself(Client c, Checkpoint cp) {
        c.saving = cp;
        emit("SaveYourself (type " + cp.saveType + ", shutdown " + cp.shutdown + ", interact " + cp.interactStyle + ") -> " + c.id);
        send(c, Xsmp.SAVE_YOURSELF, 0, Xsmp.saveYourself(cp.saveType, cp.shutdown, cp.interactStyle, cp.fast));
    }

    private void saveYourselfDone(Client c, boolean success) {
        Checkpoint cp = c.saving;
        emit("SaveYourselfDone (success " + success + ") <- " + c.id);
        if (cp == null) {
            return;
        }
        c.saving = null;
        cp.done.add(c);
        advance(cp);
        Checkpoint next;
        while ((next = c.next.poll()) != null) {
            if (!next.ended && next.cancelledBy == null) {
                saveYourself(c, next);
                return;
            }
        }
    }

    private void phase2Request(Client c) {
        emit("SaveYourselfPhase2Request <- " + c.id);
        if (c.saving != null) {
            c.saving.phase2.add(c);
            advance(c.saving);
        }
    }

    private void interactRequest(Client c, int dialogType) {
        emit("InteractRequest (" + (dialogType == Xsmp.DIALOG_ERROR ? "error" : "normal") + " dialog) <- " + c.id);
        if (interacting == null) {
            grantInteraction(c);
        } else {
            interactQueue.add(c);
        }
    }

    private void grantInteraction(Client c) {
        interacting = c;
        emit("Interact -> " + c.id);
        send(c, Xsmp.INTERACT, 0, new byte[0]);
    }

    private void interactDone(Client c, boolean cancelShutdown) {
        emit("InteractDone (cancel shutdown " + cancelShutdown + ") <- " + c.id);
        if (interacting != c) {
            return;
        }
        interacting = null;
        Checkpoint cp = c.saving;
        if (cancelShutdown && cp != null && cp.shutdown && cp.cancelledBy == null) {
            cp.cancelledBy = c.id;
            // Clients still queued to interact keep their turn: one left waiting for Interact would never finish its save.
            for (Client m : List.copyOf(cp.members)) {
                if (m.saving == cp || cp.done.contains(m)) {
                    // It heard of the shutdown; one still saving owes its SaveYourselfDone (XSMP lets it finish or abort).
                    emit("ShutdownCancelled -> " + m.id);
                    send(m, Xsmp.SHUTDOWN_CANCELLED, 0, new byte[0]);
                } else {
                    // Still busy with an earlier save: it never hears of this shutdown.
                    m.next.remove(cp);
                    cp.members.remove(m);
                }
            }
            if (shutdown == cp) {
                shutdown = null;
            }
            cp.finished.tryEmitError(new IllegalStateException("the shutdown was cancelled by client " + c.id));
        }
        while (interacting == null && !interactQueue.isEmpty()) {
            grantInteraction(interactQueue.poll());
        }
        if (cp != null) {
            advance(cp);
        }
    }

    private void setProperties(Client c, List<XsmpProperty> properties) {
        for (XsmpProperty p : properties) {
            if (c.properties.size() >= Xsmp.MAX_PROPERTIES && !c.properties.containsKey(p.name())) {
                throw CodecException.limitExceeded(0, "more than " + Xsmp.MAX_PROPERTIES + " properties");
            }
            c.properties.put(p.name(), p);
        }
        emit("SetProperties " + properties.stream().map(XsmpProperty::name).toList() + " <- " + c.id);
    }

    private void deleteProperties(Client c, List<String> names) {
        names.forEach(c.properties::remove);
        emit("DeleteProperties " + names + " <- " + c.id);
    }

    /** Sends phase 2 or ends the checkpoint once its clients are where that is due. */
    private void advance(Checkpoint cp) {
        if (cp.ended) {
            return;
        }
        if (!cp.phase2Sent && interacting == null && cp.waitingOnlyForPhase2()) {
            cp.phase2Sent = true;
            for (Client c : cp.phase2) {
                emit("SaveYourselfPhase2 -> " + c.id);
                send(c, Xsmp.SAVE_YOURSELF_PHASE2, 0, new byte[0]);
            }
        }
        if (!cp.done.containsAll(cp.members)) {
            return;
        }
        cp.ended = true;
        if (cp.cancelledBy != null) {
            emit(cp.name + " ended, cancelled by " + cp.cancelledBy);
        } else if (cp.shutdown) {
            for (Client c : cp.members) {
                emit("Die -> " + c.id);
                send(c, Xsmp.DIE, 0, new byte[0]);
            }
            if (clients.isEmpty()) {
                cp.finished.tryEmitEmpty();
            }
        } else {
            for (Client c : cp.members) {
                emit("SaveComplete -> " + c.id);
                send(c, Xsmp.SAVE_COMPLETE, 0, new byte[0]);
            }
            emit(cp.name + " complete");
            cp.finished.tryEmitEmpty();
        }
    }

    private void send(Client c, int minor, int data0, byte[] body) {
        IceProtocolSession session = c.session;
        session.send(minor, data0, 0, body).subscribe(v -> { }, e -> closed(session, e.getMessage()));
    }

    private synchronized void closed(IceProtocolSession session, String why) {
        Client client = clients.remove(session);
        if (client == null) {
            return;
        }
        if (why != null) {
            emit(client.id + " went away: " + why);
        }
        session.shutdown();
        interactQueue.remove(client);
        List<Checkpoint> involved = new ArrayList<>(client.next);
        if (client.saving != null) {
            involved.add(client.saving);
        }
        for (Checkpoint cp : involved) {
            cp.members.remove(client);
            cp.done.remove(client);
            cp.phase2.remove(client);
        }
        if (interacting == client) {
            interacting = null;
            if (!interactQueue.isEmpty()) {
                grantInteraction(interactQueue.poll());
            }
        }
        involved.forEach(this::advance);
        if (shutdown != null && shutdown.ended && clients.isEmpty()) {
            shutdown.finished.tryEmitEmpty();
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
        List<IceProtocolSession> sessions;
        synchronized (this) {
            sessions = List.copyOf(clients.keySet());
        }
        sessions.forEach(s -> s.connection().dispose());
        events.tryEmitComplete();
    }
}
