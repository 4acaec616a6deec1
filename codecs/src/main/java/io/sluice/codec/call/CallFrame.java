package io.sluice.codec.call;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One frame of the Sluice call protocol ({@code PROTOCOL.md}). Frames are immutable; the ones that
 * carry a payload are {@link PayloadFrame}s, reference-counted through their payload buffer.
 */
public sealed interface CallFrame {

    /** The protocol version this implementation speaks. */
    int VERSION = 1;

    /** The 4 bytes every {@link Hello} starts with: "SLCE". */
    int MAGIC = 0x534C4345;

    /** The largest demand one {@link RequestN} or {@link Request} may carry. */
    long MAX_DEMAND = Integer.MAX_VALUE;

    /** The most metadata entries one REQUEST carries. */
    int MAX_METADATA_ENTRIES = 8;
    /** The longest metadata key, in UTF-8 bytes. */
    int MAX_METADATA_KEY_BYTES = 64;
    /** The longest metadata value, in UTF-8 bytes (a W3C {@code tracestate} may reach 512 characters). */
    int MAX_METADATA_VALUE_BYTES = 512;
    /**
     * The tag of the capabilities call (PROTOCOL.md, "Capabilities"): never a user call type. Its
     * request and response payloads are the sender's capability bits, 4 bytes.
     */
    int CAPABILITIES_TAG = 0xFFFF;
    /** Capability bit: this side reads REQUEST metadata. */
    int CAPABILITY_METADATA = 0x01;

    /** @return the frame type byte on the wire */
    int type();

    /** A frame that carries an application payload; releasing the frame releases the payload. */
    sealed interface PayloadFrame extends CallFrame, ReferenceCounted permits Request, Response, Next {
        /** @return the payload bytes, owned by this frame */
        ByteBuf payload();

        @Override
        default int refCnt() {
            return payload().refCnt();
        }

        @Override
        default PayloadFrame retain() {
            payload().retain();
            return this;
        }

        @Override
        default PayloadFrame retain(int increment) {
            payload().retain(increment);
            return this;
        }

        @Override
        default PayloadFrame touch() {
            payload().touch();
            return this;
        }

        @Override
        default PayloadFrame touch(Object hint) {
            payload().touch(hint);
            return this;
        }

        @Override
        default boolean release() {
            return payload().release();
        }

        @Override
        default boolean release(int decrement) {
            return payload().release(decrement);
        }
    }

    /**
     * Opens a connection; each side sends one first.
     *
     * @param version the sender's protocol version
     * @param keepAliveMillis how often the sender pings an idle connection, 0 for never
     * @param maxFrameBytes the largest frame the sender accepts
     */
    record Hello(int version, long keepAliveMillis, long maxFrameBytes) implements CallFrame {
        @Override
        public int type() {
            return 0x01;
        }
    }

    /**
     * Starts a call.
     *
     * @param callId the caller's id for the call: odd from the connecting side, even from the accepting side
     * @param tag the message tag naming the call type
     * @param stream whether the caller expects a stream of responses
     * @param initialDemand for a stream, how many responses the caller can take now (1 for a single response)
     * @param payload the encoded request
     * @param metadata key/value pairs that travel with the request (W3C {@code traceparent} and
     *     {@code tracestate}); empty unless the callee said it reads them
     */
    record Request(long callId, int tag, boolean stream, long initialDemand, ByteBuf payload, Map<String, String> metadata)
            implements PayloadFrame {
        /**
         * Checks and normalises the components.
         *
         * @param callId the caller's id for the call: odd from the connecting side, even from the accepting side
         * @param tag the message tag naming the call type
         * @param stream whether the caller expects a stream of responses
         * @param initialDemand for a stream, how many responses the caller can take now (1 for a single response)
         * @param payload the encoded request
         * @param metadata key/value pairs that travel with the request (W3C {@code traceparent} and {@code tracestate}); empty unless the callee said it reads them
         */
        public Request {
            Objects.requireNonNull(payload, "payload");
            metadata = metadata.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /**
         * A request without metadata.
         *
         * @param callId the call id
         * @param tag the call type's tag
         * @param stream whether a stream of responses is expected
         * @param initialDemand the demand to start with
         * @param payload the encoded request
         */
        public Request(long callId, int tag, boolean stream, long initialDemand, ByteBuf payload) {
            this(callId, tag, stream, initialDemand, payload, Map.of());
        }

        @Override
        public int type() {
            return 0x02;
        }
    }

    /**
     * The single response that completes a call.
     *
     * @param callId the call
     * @param payload the encoded response
     */
    record Response(long callId, ByteBuf payload) implements PayloadFrame {
        /**
         * Checks and normalises the components.
         *
         * @param callId the call
         * @param payload the encoded response
         */
        public Response {
            Objects.requireNonNull(payload, "payload");
        }

        @Override
        public int type() {
            return 0x03;
        }
    }

    /**
     * One element of a streamed response; never more than the caller's demand.
     *
     * @param callId the call
     * @param payload the encoded element
     */
    record Next(long callId, ByteBuf payload) implements PayloadFrame {
        /**
         * Checks and normalises the components.
         *
         * @param callId the call
         * @param payload the encoded element
         */
        public Next {
            Objects.requireNonNull(payload, "payload");
        }

        @Override
        public int type() {
            return 0x04;
        }
    }

    /**
     * The end of a streamed response.
     *
     * @param callId the call
     */
    record Complete(long callId) implements CallFrame {
        @Override
        public int type() {
            return 0x05;
        }
    }

    /**
     * The call failed.
     *
     * @param callId the call
     * @param status the failure's status code
     * @param message what happened, for people
     */
    record Failure(long callId, int status, String message) implements CallFrame {
        /**
         * Checks and normalises the components.
         *
         * @param callId the call
         * @param status the failure's status code
         * @param message what happened, for people
         */
        public Failure {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public int type() {
            return 0x06;
        }
    }

    /**
     * The caller no longer wants the call; the callee stops its handler.
     *
     * @param callId the call
     */
    record Cancel(long callId) implements CallFrame {
        @Override
        public int type() {
            return 0x07;
        }
    }

    /**
     * The caller can take {@code n} more stream elements.
     *
     * @param callId the call
     * @param n 1 to {@link #MAX_DEMAND}
     */
    record RequestN(long callId, long n) implements CallFrame {
        @Override
        public int type() {
            return 0x08;
        }
    }

    /**
     * Asks for a {@link Pong} with the same nonce.
     *
     * @param nonce echoed back
     */
    record Ping(long nonce) implements CallFrame {
        @Override
        public int type() {
            return 0x09;
        }
    }

    /**
     * Answers a {@link Ping}.
     *
     * @param nonce the ping's nonce
     */
    record Pong(long nonce) implements CallFrame {
        @Override
        public int type() {
            return 0x0A;
        }
    }

    /**
     * The sender closes the connection, saying why; it sends nothing after it.
     *
     * @param status why: 0 for a normal shutdown, otherwise a status code
     * @param message for people
     */
    record Goodbye(int status, String message) implements CallFrame {
        /**
         * Checks and normalises the components.
         *
         * @param status why: 0 for a normal shutdown, otherwise a status code
         * @param message for people
         */
        public Goodbye {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public int type() {
            return 0x0B;
        }
    }
}
