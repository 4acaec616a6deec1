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
 * Incoming messages wait in a buffer of {@link #BUFFER} for the one subscriber of
 * {@link #messages()}; beyond it they are dropped and counted ({@link #dropped()}). A message
 * that answers a {@link #request} goes to that request instead.
 *
 * <p>Thread-safe: state lives on the connection's event loop.
 */
public final class IceProtocolSession {

    /** Messages kept for a slow subscriber. */
    public static final int BUFFER = 256;

    private final IceConnection connection;
    private final IceProtocol protocol;
    private final int majorOpcode;
    private final int peerOpcode;
    private final IceVersion version;
    private final String vendor;
    private final String release;
    private final boolean originated;
    private final Sinks.Many<IceMessage.Generic> inbound = IceConnection.boundedQueue(BUFFER);
    private final LongAdder dropped = new LongAdder();
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
            dropped.increment();
        }
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
        IceMessage.Generic message = new IceMessage.Generic(majorOpcode, minorOpcode, data0, data1, body);
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

    /** @return the protocol's incoming messages, for one subscriber; fails when the connection breaks */
    public Flux<IceMessage.Generic> messages() {
        // Detached on cancel: the session outlives a cancelled subscriber and must not pin it.
        return inbound.asFlux().onTerminateDetach();
    }

    /** @return messages dropped because the subscriber was too slow */
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
