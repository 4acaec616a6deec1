package io.sluice.peer;

import io.sluice.codec.MessageCodec;
import java.util.Objects;

/**
 * One kind of call in a {@link PeerProtocol}: a message tag, the codecs of its request and
 * response, and whether it answers with one response or a stream of them. Both sides of a
 * connection use the same call types. Immutable; create each once, as a constant.
 *
 * @param <Q> the request type
 * @param <R> the response (or stream element) type
 */
public final class CallType<Q, R> {

    /** How a call answers. */
    public enum Kind {
        /** Exactly one response, as a {@code Mono}. */
        UNARY,
        /** Any number of responses with demand carried over the wire, as a {@code Flux}. */
        STREAM
    }

    private final int tag;
    private final String name;
    private final Kind kind;
    private final MessageCodec<Q> requestCodec;
    private final MessageCodec<R> responseCodec;

    private CallType(int tag, String name, Kind kind, MessageCodec<Q> requestCodec, MessageCodec<R> responseCodec) {
        if (tag < 0 || tag >= 0xFFFF) {
            throw new IllegalArgumentException("tags are 0..65534 (65535 is the protocol's capabilities call), was " + tag);
        }
        this.tag = tag;
        this.name = Objects.requireNonNull(name, "name");
        this.kind = kind;
        this.requestCodec = Objects.requireNonNull(requestCodec, "requestCodec");
        this.responseCodec = Objects.requireNonNull(responseCodec, "responseCodec");
    }

    /**
     * A request/response call type.
     *
     * @param tag the message tag, 0..65535, unique in its protocol
     * @param name for traces and errors
     * @param requestCodec encodes requests
     * @param responseCodec encodes responses
     * @param <Q> the request type
     * @param <R> the response type
     * @return the call type
     */
    public static <Q, R> CallType<Q, R> unary(int tag, String name, MessageCodec<Q> requestCodec,
                                              MessageCodec<R> responseCodec) {
        return new CallType<>(tag, name, Kind.UNARY, requestCodec, responseCodec);
    }

    /**
     * A call type answered with a stream.
     *
     * @param tag the message tag, 0..65535, unique in its protocol
     * @param name for traces and errors
     * @param requestCodec encodes requests
     * @param elementCodec encodes stream elements
     * @param <Q> the request type
     * @param <R> the element type
     * @return the call type
     */
    public static <Q, R> CallType<Q, R> stream(int tag, String name, MessageCodec<Q> requestCodec,
                                               MessageCodec<R> elementCodec) {
        return new CallType<>(tag, name, Kind.STREAM, requestCodec, elementCodec);
    }

    /** @return the message tag */
    public int tag() {
        return tag;
    }

    /** @return the name */
    public String name() {
        return name;
    }

    /** @return how the call answers */
    public Kind kind() {
        return kind;
    }

    /** @return the request codec */
    public MessageCodec<Q> requestCodec() {
        return requestCodec;
    }

    /** @return the response (element) codec */
    public MessageCodec<R> responseCodec() {
        return responseCodec;
    }

    @Override
    public String toString() {
        return name + "(tag " + tag + ", " + kind + ")";
    }
}
