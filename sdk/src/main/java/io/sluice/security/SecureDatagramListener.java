package io.sluice.security;

import java.net.InetSocketAddress;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A listening datagram-security server. Disposing it closes the socket and every session.
 * Thread-safe.
 */
public interface SecureDatagramListener extends Disposable {

    /**
     * The address the listener is bound to.
     *
     * @return the local address
     */
    InetSocketAddress localAddress();

    /**
     * Sessions as their handshakes start (after any stateless cookie exchange, so spoofed
     * hellos produce none), for one subscriber; completes when the listener is disposed. Each one
     * is in {@link SecureSessionState#HANDSHAKE} or later: wait for
     * {@link SecureDatagramSession#established()} before reading what it negotiated. Sessions
     * nobody takes wait in a bounded queue; beyond it they are closed.
     *
     * @return the sessions; each is the subscriber's to close
     */
    Flux<? extends SecureDatagramSession> sessions();

    /**
     * Completes when the listener is disposed.
     *
     * @return completion
     */
    Mono<Void> onDispose();
}
