package io.sluice.ice;

import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceVersion;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * A protocol active on an ICE connection: what was negotiated, and its messages both ways.
 * Incoming messages wait for the one subscriber of {@link #messages()}; ICE runs over a stream and a
 * lost message would corrupt the protocol's state, so none is dropped: when
 * {@value #PAUSE_AT} are unread the connection stops reading its socket (the peer's writes then
 * wait in TCP), and reads again once the subscriber has brought them down to {@value #RESUME_AT}.
 * A message that answers a {@link #request} goes to that request instead.
 *
 * <p>Thread-safe: state lives on the connection's event loop.
 */
public final class IceProtocolSession {

    /** Unread messages at which the connection stops reading its socket. */
    public static final int PAUSE_AT = 64;
    /** Unread messages at which it reads again. */
    public static final int RESUME_AT = 16;

    private final IceConnection connection;
    private final IceProtocol protocol;
    private final int majorOpcode;
    private final int peerOpcode;
    private final IceVersion version;
    private final String vendor;
    private final String release;
    private final boolean originated;
    /** Written on the loop only, drained by the subscriber: single producer, single consumer. */
    private final java.util.Queue<IceMessage.Generic> unread = reactor.util.concurrent.Queues.<IceMessage.Generic>unbounded().get();
    private final Sinks.Many<IceMessage.Generic> inbound = Sinks.many().unicast().onBackpressureBuffer(unread);
    private final LongAdder dropped = new LongAdder();
    /** Whether this session has stopped the connection's reading; written on the loop, read by the subscriber too. */
    private volatile boolean pausedReading;
    private final java.util.concurrent.atomic.AtomicBoolean resumeQueued = new java.util.concurrent.atomic.AtomicBoolean();
    /** Requests awaiting replies, oldest first; loop-confined. */
    private final ArrayDeque<PendingReply> replies = new ArrayDeque<>();
    private volatile boolean ended;

    private record PendingReply(long sequence, Set<Integer> replyOpcodes, MonoSink<IceMessage.Generic> sink) {
    }

    IceProtocolSession(IceConnection connection, IceProtocol protocol, int majorOpcode, int peerOpcode, IceVersion version,
            String vendor, String release, boolean originated) {
        this.connection = connection;
        this.protocol = protocol;
        this.majorOpcode = majorOpcode;
        this.peerOpcode = peerOpcode;
        this.version = version;
        this.vendor = vendor;
        this.release = release;
        this.originated = originated;
    }

    void deliver(IceMessage.Generic message) {
        for (Iterator<PendingReply> it = replies.iterator(); it.hasNext();) {
            PendingReply r = it.next();
            if (r.replyOpcodes().contains(message.minorOpcode())) {
                it.remove();
                r.sink().success(message);
                return;
            }
        }
        if (inbound.tryEmitNext(message).isFailure()) {
            dropped.increment(); // the subscriber cancelled: nobody will read the protocol's messages again
            return;
        }
        if (!pausedReading && unread.size() >= PAUSE_AT) {
            pausedReading = true;
            connection.pauseReading(this);
        }
    }

    /**
     * On the subscriber's thread, as it takes messages or asks for more: once it is down to
     * {@link #RESUME_AT}, the loop is asked to read again. (A check made only when it asks would
     * race with its draining: the loop could look while the queue is still full, and a subscriber
     * with demand left asks no more.)
     */
    private void consumed() {
        if (pausedReading && unread.size() <= RESUME_AT && resumeQueued.compareAndSet(false, true)) {
            connection.onLoopLater(() -> {
                resumeQueued.set(false);
                maybeResume();
            });
        }
    }

    /** On the loop. */
    private void maybeResume() {
        if (pausedReading && unread.size() <= RESUME_AT) {
            pausedReading = false;
            connection.resumeReading(this);
        }
    }

    private void subscriberLeft() {
        unread.clear();
        maybeResume();
    }

    void deliverError(IceMessage.Error error) {
        for (Iterator<PendingReply> it = replies.iterator(); it.hasNext();) {
            PendingReply r = it.next();
            if (r.sequence() == error.offendingSequenceNumber()) {
                it.remove();
                r.sink().error(new IceException(IceErrorCode.PEER_ERROR, "the peer answered " + protocol.name() + " message #"
                        + r.sequence() + " with " + IceError.className(error.errorClass()), error));
                return;
            }
        }
        if (error.severity() != IceError.CAN_CONTINUE) {
            end(new IceException(IceErrorCode.PEER_ERROR, "the peer ended " + protocol.name() + ": " + IceError.className(error.errorClass())
                    + " (" + IceError.severityName(error.severity()) + ")", error));
            connection.shutdown(this);
        }
    }

    void end(Throwable error) {
        ended = true;
        PendingReply r;
        while ((r = replies.poll()) != null) {
            r.sink().error(error);
        }
        inbound.tryEmitError(error);
    }

    /** @return the protocol */
    public IceProtocol protocol() {
        return protocol;
    }

    /** @return this side's major opcode for the protocol: the messages it sends carry it */
    public int majorOpcode() {
        return majorOpcode;
    }

    /** @return the peer's major opcode for the protocol: the messages it sends carry it */
    public int peerMajorOpcode() {
        return peerOpcode;
    }

    /** @return the negotiated protocol version */
    public IceVersion version() {
        return version;
    }

    /** @return the peer's vendor for the protocol */
    public String vendor() {
        return vendor;
    }

    /** @return the peer's release for the protocol */
    public String release() {
        return release;
    }

    /** @return true if this side set the protocol up (originator), false if the peer did */
    public boolean originated() {
        return originated;
    }

    /** @return the connection */
    public IceConnection connection() {
        return connection;
    }

    /**
     * Sends one message of the protocol. Subscribing sends; messages go out in subscription order.
     * The transport, not a buffer to flush, takes them: a peer that stops reading stalls the
     * connection's writes rather than growing memory here, because each send waits for the
     * previous one to be handed to the socket before it completes.
     *
     * @param minorOpcode the message type
     * @param data0 the first header data byte
     * @param data1 the second header data byte
     * @param body the body, a multiple of 8 bytes (pad it)
     * @return completes once the message is written to the socket
     */
    public Mono<Void> send(int minorOpcode, int data0, int data1, byte[] body) {
        return write(new IceMessage.Generic(majorOpcode, minorOpcode, data0, data1, body));
    }

    /**
     * Sends an ICE Error for this protocol (libICE's {@code IceErrorHeader}): the peer's message with
     * minor opcode {@code offendingMinorOpcode} and sequence number {@code offendingSequence} was
     * wrong in the way {@code errorClass} says. While handling a message on the connection's event
     * loop (where {@link #messages()} delivers to a subscriber that keeps up), its sequence number
     * is {@code connection().lastReceivedSequenceNumber()}.
     *
     * @param offendingMinorOpcode the minor opcode of the offending message
     * @param offendingSequence its sequence number
     * @param errorClass an {@link IceError} class, such as {@link IceError#BAD_MINOR} or {@link IceError#BAD_VALUE}, or the protocol's own
     * @param severity {@link IceError#CAN_CONTINUE}, {@link IceError#FATAL_TO_PROTOCOL} or {@link IceError#FATAL_TO_CONNECTION}
     * @param values the error's values (the offending value, for BadValue), padded by the codec
     * @return completes once the error is written to the socket
     */
    public Mono<Void> sendError(int offendingMinorOpcode, long offendingSequence, int errorClass, int severity, byte[] values) {
        return write(new IceMessage.Error(majorOpcode, offendingMinorOpcode, severity, errorClass, offendingSequence, values));
    }

    private Mono<Void> write(IceMessage message) {
        return Mono.create(sink -> connection.onLoop(() -> {
            if (ended || !connection.isOpen()) {
                sink.error(new IceException(IceErrorCode.CLOSED, protocol.name() + " is no longer active", null));
                return;
            }
            connection.writeAndListen(message, sink);
        }));
    }

    /**
     * Sends a message and waits for its reply (the seed's reply-wait): the next message of the
     * protocol with one of the reply opcodes answers it, an Error naming its sequence number fails
     * it. Replies are matched oldest request first.
     *
     * @param minorOpcode the message type
     * @param data0 the first header data byte
     * @param data1 the second header data byte
     * @param body the body, a multiple of 8 bytes
     * @param replyOpcodes the minor opcodes that answer it
     * @return the reply
     */
    public Mono<IceMessage.Generic> request(int minorOpcode, int data0, int data1, byte[] body, Set<Integer> replyOpcodes) {
        IceMessage.Generic message = new IceMessage.Generic(majorOpcode, minorOpcode, data0, data1, body);
        Set<Integer> opcodes = Set.copyOf(replyOpcodes);
        return Mono.create(sink -> connection.onLoop(() -> {
            if (ended || !connection.isOpen()) {
                sink.error(new IceException(IceErrorCode.CLOSED, protocol.name() + " is no longer active", null));
                return;
            }
            PendingReply pending = new PendingReply(connection.writeNumbered(message), opcodes, sink);
            replies.add(pending);
            sink.onCancel(() -> connection.onLoop(() -> replies.remove(pending)));
        }));
    }

    /**
     * @return the protocol's incoming messages, for one subscriber, with its demand carried back to
     *     the socket (see the class documentation); fails when the connection breaks
     */
    public Flux<IceMessage.Generic> messages() {
        // Detached on cancel: the session outlives a cancelled subscriber and must not pin it.
        return inbound.asFlux()
                .doOnNext(m -> consumed())
                .doOnRequest(n -> consumed())
                .doOnCancel(() -> connection.onLoopLater(this::subscriberLeft))
                .onTerminateDetach();
    }

    /** @return messages that arrived after the subscriber of {@link #messages()} cancelled, and so were read by nobody */
    public long dropped() {
        return dropped.sum();
    }

    /** @return whether the protocol is still active */
    public boolean isActive() {
        return !ended && connection.isOpen();
    }

    /**
     * Ends the protocol on this side ({@code IceProtocolShutdown}); ICE sends nothing for it.
     * The protocol no longer counts as active when this returns (a close or the peer's WantToClose
     * handled afterwards sees it gone, as with libICE's synchronous call); waiting replies fail and
     * {@link #messages()} completes on the connection's event loop.
     */
    public void shutdown() {
        ended = true;
        connection.shutdown(this);
        connection.onLoop(() -> {
            PendingReply r;
            while ((r = replies.poll()) != null) {
                r.sink().error(new IceException(IceErrorCode.CLOSED, protocol.name() + " was shut down", null));
            }
            inbound.tryEmitComplete();
        });
    }

    @Override
    public String toString() {
        return "IceProtocolSession[" + protocol.name() + " " + version.major() + "." + version.minor() + ", " + vendor + " " + release
                + ", opcodes " + majorOpcode + "/" + peerOpcode + "]";
    }
}
