package io.sluice.security;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A protected datagram session with one peer: application data in as a {@code Flux}, out from a
 * {@code Publisher}, both with backpressure; who the peer proved to be; and its end.
 * {@link #dispose()} closes the session and releases records nobody took.
 *
 * <p>A server's sessions are handed out when their handshake starts ({@link #states()} begins at
 * {@link SecureSessionState#HANDSHAKE}); what the handshake negotiates (the cipher suite, the
 * peer's identity) is known once {@link #established()} completes, and asking before throws
 * {@link IllegalStateException}. {@link #send} waits for the handshake; {@link #receive()} may be
 * subscribed at any time. A client's {@code connect} yields sessions already established.
 *
 * <p>Thread-safe. Buffers from {@link #receive()} are the subscriber's to release; buffers given
 * to {@link #send} become the session's.
 */
public interface SecureDatagramSession extends Disposable {

    /**
     * The session's state: the current one at once, then each change; completes after
     * {@link SecureSessionState#CLOSED}.
     *
     * @return the states
     */
    Flux<SecureSessionState> states();

    /**
     * This session once its handshake has completed: at once if it has, else when it does.
     *
     * @return the session; fails with the handshake's error if it failed or the session closed first
     */
    Mono<? extends SecureDatagramSession> established();

    /**
     * The peer's address now (it can change when the security layer follows a peer across NAT
     * rebinding).
     *
     * @return the remote address
     */
    InetSocketAddress remoteAddress();

    /**
     * The local address the session sends from.
     *
     * @return the local address
     */
    InetSocketAddress localAddress();

    /**
     * The negotiated protection, by its IANA cipher suite name.
     *
     * @return for example {@code TLS_PSK_WITH_AES_128_GCM_SHA256}
     */
    String cipherSuite();

    /**
     * The pre-shared-key identity the session was keyed with, if a PSK was used.
     *
     * @return a copy of the identity bytes
     */
    Optional<byte[]> pskIdentity();

    /**
     * The pre-shared-key identity hint the server offered, if a PSK was used and the server sent one.
     *
     * @return a copy of the hint bytes
     */
    default Optional<byte[]> pskIdentityHint() {
        return Optional.empty();
    }

    /**
     * The pre-shared key the session was keyed with, if a PSK was used (libcoap's
     * {@code coap_session_get_psk_key}). Treat it as the secret it is.
     *
     * @return a copy of the key
     */
    default Optional<byte[]> pskKey() {
        return Optional.empty();
    }

    /**
     * The certificate chain the peer presented and the layer verified, leaf first; empty when the
     * peer presented none.
     *
     * @return the chain
     */
    List<X509Certificate> peerCertificates();

    /**
     * Application data from the peer, one buffer per datagram payload, for one subscriber.
     * Completes when the peer or this side closes; fails if the session fails. Payloads beyond
     * the bounded buffer of a slow subscriber are dropped and counted in {@link #overruns()}.
     *
     * @return the payloads; each is the subscriber's to release
     */
    Flux<ByteBuf> receive();

    /**
     * Protects and sends each buffer as one datagram payload, requesting more only as the socket
     * takes them.
     *
     * @param data the payloads; each becomes the session's to release
     * @return completes when all were sent
     */
    Mono<Void> send(Publisher<? extends ByteBuf> data);

    /**
     * Payloads lost because the {@link #receive()} subscriber was too slow.
     *
     * @return the count
     */
    long overruns();

    /**
     * Tells the peer the session ends and ends it.
     *
     * @return completes once closed
     */
    Mono<Void> close();

    /**
     * Completes when the session has ended, however it ended.
     *
     * @return completion
     */
    Mono<Void> onClose();
}
