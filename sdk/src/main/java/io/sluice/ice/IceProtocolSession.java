package io.sluice.ice;

import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceVersion;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A protocol active on an ICE connection: what was negotiated, and its messages both ways.
 * Incoming messages wait in a buffer of {@link #BUFFER} for the one subscriber of
 * {@link #messages()}; beyond it they are dropped and counted ({@link #dropped()}).
 * Thread-safe.
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
    private final Sinks.Many<IceMessage.Generic> inbound = IceConnection.boundedQueue(BUFFER);
    private final LongAdder dropped = new LongAdder();

    IceProtocolSession(IceConnection connection, IceProtocol protocol, int majorOpcode, int peerOpcode, IceVersion version,
            String vendor, String release) {
        this.connection = connection;
        this.protocol = protocol;
        this.majorOpcode = majorOpcode;
        this.peerOpcode = peerOpcode;
        this.version = version;
        this.vendor = vendor;
        this.release = release;
    }

    void deliver(IceMessage.Generic message) {
        if (inbound.tryEmitNext(message).isFailure()) {
            dropped.increment();
        }
    }

    void end(Throwable error) {
        inbound.tryEmitError(error);
    }

    /** @return the protocol */
    public IceProtocol protocol() {
        return protocol;
    }

    /** @return the major opcode this side announced for the protocol (the peer sends with it) */
    public int majorOpcode() {
        return majorOpcode;
    }

    /** @return the major opcode the peer announced (this side sends with it) */
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

    /**
     * Sends one message of the protocol.
     *
     * @param minorOpcode the message type
     * @param data0 the first header data byte
     * @param data1 the second header data byte
     * @param body the body, a multiple of 8 bytes (pad it)
     * @return completes once the message is handed to the connection's event loop, which writes it in order
     */
    public Mono<Void> send(int minorOpcode, int data0, int data1, byte[] body) {
        IceMessage.Generic message = new IceMessage.Generic(peerOpcode, minorOpcode, data0, data1, body);
        return Mono.fromRunnable(() -> connection.onLoop(() -> connection.write(message)));
    }

    /** @return the protocol's incoming messages, for one subscriber; fails when the connection ends */
    public Flux<IceMessage.Generic> messages() {
        return inbound.asFlux();
    }

    /** @return messages dropped because the subscriber was too slow */
    public long dropped() {
        return dropped.sum();
    }

    /** Ends the protocol on this side ({@code IceProtocolShutdown}); ICE sends nothing for it. */
    public void shutdown() {
        connection.shutdown(this);
        inbound.tryEmitComplete();
    }
}
