package io.sluice.peer;

import io.sluice.session.Attributes;
import java.net.SocketAddress;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One side's view of an association with a remote peer, for calls in either direction (lwmsg's
 * {@code LWMsgSession}). Thread-safe: calls may be made from any thread.
 *
 * <p>A client session from {@link LivePeer#connect()} connects lazily, on its first call, trying
 * the connect endpoints in order, and reconnects the same way after the connection is lost. A
 * session accepted by a listener is its one connection.
 */
public interface PeerSession {

    /** The life of a session. */
    enum State {
        /** Not connected (a client session before its first call, or after losing its connection). */
        IDLE,
        /** Accepted, but waiting for a client slot (the listener is at its client limit). */
        WAITING,
        /** Connecting, or exchanging HELLO. */
        CONNECTING,
        /** Calls can flow. */
        ESTABLISHED,
        /** Ended for good. */
        CLOSED
    }

    /**
     * Makes a unary call. Nothing is sent until subscription; cancelling sends CANCEL and the remote
     * handler is cancelled.
     *
     * @param type a unary call type of the peer's protocol
     * @param request the request; a {@code ByteBuf} stays owned by the caller
     * @param <Q> the request type
     * @param <R> the response type
     * @return the response; fails with {@link PeerException}
     */
    <Q, R> Mono<R> call(CallType<Q, R> type, Q request);

    /**
     * Makes a stream call. The subscriber's demand is carried to the remote handler; cancelling
     * cancels it.
     *
     * @param type a stream call type of the peer's protocol
     * @param request the request
     * @param <Q> the request type
     * @param <R> the element type
     * @return the elements; fails with {@link PeerException}
     */
    <Q, R> Flux<R> stream(CallType<Q, R> type, Q request);

    /** @return the current state */
    State state();

    /** @return the current state, then each change; completes at {@link State#CLOSED} */
    Flux<State> states();

    /** @return the context the peer's session constructor gave this session, or {@code null} */
    Object context();

    /** @return typed application data on this session */
    Attributes attributes();

    /** @return the remote address while connected, else {@code null} */
    SocketAddress remoteAddress();

    /** @return the local address while connected, else {@code null} */
    SocketAddress localAddress();

    /**
     * The TLS session of the current connection, when the peer is {@link Peer#secure secured}: the
     * protocol, suite and the remote side's certificates ({@code getPeerCertificates()} throws
     * {@code SSLPeerUnverifiedException} when the remote side sent none).
     *
     * @return the TLS session after a successful handshake, else {@code null}
     */
    javax.net.ssl.SSLSession tlsSession();

    /**
     * Closes the session: outstanding calls in both directions are cancelled (outgoing ones fail
     * with {@link PeerStatus#CANCELLED}), and the session cannot be used again.
     *
     * @return completes when the connection is closed
     */
    Mono<Void> disconnect();

    /** @return completes when the session is closed for good */
    Mono<Void> onClose();
}
