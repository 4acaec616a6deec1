package io.sluice.coap;

import io.sluice.codec.coap.CoapSignals;
import io.sluice.security.SecureDatagramSession;
import io.sluice.session.Attributes;
import io.sluice.session.Retainable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A CoAP session ({@code coap_session_t}): the state of the conversation between this endpoint
 * and one peer, identified by local port, protocol and remote address and port.
 *
 * <h2>Reference counts, as libcoap has them</h2>
 * A {@linkplain CoapSessionType#CLIENT client} session starts with a count of 1; its final
 * {@link #release()} frees it, failing outstanding exchanges and closing its socket. A
 * {@linkplain CoapSessionType#SERVER server} session starts at 0, waiting in the server's idle
 * pool: each datagram from the peer marks it used, and once it has been idle (count 0, no
 * traffic) for the server's idle timeout (default 5 minutes) it is freed. {@link #retain()} keeps
 * it out of the pool; {@link #becomeClient()} turns it into a client session for call-home and
 * retains it once more. A freed session is {@link CoapSessionState#CLOSED}; using it fails with
 * {@link CoapErrorCode#CLOSED}, retaining or releasing it with {@code session.released}.
 *
 * <p>Thread-safe: every method may be called from any thread; the session's protocol work runs
 * on its endpoint's event loop. Requests and observations are cold: nothing is sent until
 * subscription, and cancelling stops retransmission (and deregisters an observation).
 */
public interface CoapSession extends Retainable {

    @Override
    CoapSession retain();

    /**
     * Sends a request and completes with its response, reassembled if it came block-wise. A
     * response with an error code (4.xx, 5.xx) is a response, not an error; errors are
     * {@link CoapException}s: timeout after MAX_RETRANSMIT, Reset, disconnection, closure.
     *
     * @param request the request
     * @return the response
     */
    Mono<CoapResponse> request(CoapRequest request);

    /**
     * {@code coap_session_get_context}: the server whose session this is.
     *
     * @return the live server for a server session (also after {@link #becomeClient()}); empty for
     *     a session a {@link CoapClient} made (see {@link #client()})
     */
    Optional<LiveCoapServer> server();

    /**
     * {@code coap_session_get_context} for a client session: the client spec that opened it, with the
     * settings it runs under (transmission parameters, security, block size).
     *
     * @return the {@link CoapClient} for a session it made; empty for a server session
     */
    Optional<CoapClient> client();

    /**
     * Resource discovery (RFC 6690 §4): GETs {@code /.well-known/core} with an optional filter and
     * reads the CoRE Link Format answer.
     *
     * @param filter a query such as {@code rt=temperature*} or {@code href=/sensors/*}, or "" for all
     * @return the peer's links; fails with {@link CoapException} ({@code coap.bad-response}) when the
     *     answer is not a success in link format
     */
    default Mono<java.util.List<io.sluice.codec.coap.CoreLink>> discover(String filter) {
        return request(CoapRequest.get("/.well-known/core" + (filter.isEmpty() ? "" : "?" + filter))).handle((r, sink) -> {
            if (!r.code().isSuccess()) {
                sink.error(new CoapException(CoapErrorCode.BAD_RESPONSE, null, "/.well-known/core answered " + r.code()));
                return;
            }
            // The body is already within the client's maximum body size; only the link count needs a bound here.
            String document = r.bodyText();
            try {
                sink.next(io.sluice.codec.coap.CoreLinkFormat.read(document, io.sluice.codec.Limits.defaults()
                        .withMaxMessageBytes(Math.max(document.length(), 1)).withMaxElements(65536)));
            } catch (io.sluice.codec.CodecException e) {
                sink.error(new CoapException(CoapErrorCode.BAD_RESPONSE, null, "/.well-known/core is not CoRE Link Format: " + e.getMessage()));
            }
        });
    }

    /**
     * Observes a resource (RFC 7641): registers with Observe: 0 and emits the first response and
     * every notification after it, in order (older notifications arriving late are dropped as
     * §3.4 says). Completes when the server ends the observation (a response without Observe,
     * which is emitted first). Cancelling deregisters with a GET carrying Observe: 1. A subscriber
     * without demand keeps the newest 32 notifications; older ones give way (a notification is a
     * state, so the latest is what matters), and the server side likewise collapses states that
     * pile up behind an unacknowledged notification.
     *
     * @param request a GET or FETCH
     * @return the notifications
     */
    Flux<CoapResponse> observe(CoapRequest request);

    /**
     * Sends a request to this session's multicast group (RFC 7252 §8) and emits every response
     * that arrives within {@code window}, each with its {@linkplain CoapResponse#source() source}.
     * Multicast requests are NON; servers do not answer with errors to them.
     *
     * @param request the request
     * @param window how long to collect responses
     * @return the responses, completing after the window
     */
    Flux<CoapResponse> multicast(CoapRequest request, Duration window);

    /**
     * Sends a CoAP ping and completes with the round-trip time: over UDP and DTLS an empty CON
     * answered by the peer's Reset; over a reliable transport a 7.02 Ping answered by 7.03 Pong
     * (RFC 8323 §5.4), failing with {@link CoapErrorCode#TIMEOUT} after the response timeout.
     *
     * @return the round-trip time
     */
    Mono<Duration> ping();

    /**
     * Forces the session closed for {@code reason} ({@code coap_session_disconnected}):
     * outstanding traffic is dropped and every pending exchange fails with a {@link CoapException}
     * of {@link CoapErrorCode#DISCONNECTED} carrying that reason. The state becomes
     * {@link CoapSessionState#NONE}; the reference count is not changed. A DTLS session's
     * handshake state is dropped with it. Over a reliable transport, where a connection cannot be
     * set aside and resumed, the session ends: Release is sent, the connection closed, the state
     * becomes {@link CoapSessionState#CLOSED}.
     *
     * @param reason why
     */
    void disconnect(CoapNackReason reason);

    /**
     * Turns a server session into a client session for call-home ({@code
     * coap_session_set_type_client}): this side may then send requests to the peer that connected.
     * Increments the reference count, so the session leaves the idle pool.
     *
     * @return {@code true} if the session was a server session and is now a client session
     */
    boolean becomeClient();

    /** @return typed application data ({@code coap_session_set_app_data}) */
    Attributes attributes();

    /** @return the local address and port */
    InetSocketAddress localAddress();

    /**
     * @return the peer's address; for a multicast session, the source of the last response, set
     *     back to the group when the next request is sent
     */
    InetSocketAddress remoteAddress();

    /** @return the multicast group this session was set up to send to, if any */
    Optional<InetSocketAddress> multicastAddress();

    /** @return the index of the network interface traffic last came in over, or -1 when the platform cannot tell */
    int interfaceIndex();

    /** @return the transport */
    CoapProtocol protocol();

    /** @return the state now */
    CoapSessionState state();

    /**
     * The state now, then every change; completes after {@link CoapSessionState#CLOSED}. A slow
     * subscriber keeps the latest states (bounded), never an unbounded backlog.
     *
     * @return the states
     */
    Flux<CoapSessionState> states();

    /** @return the session type */
    CoapSessionType type();

    /**
     * The DTLS session underneath ({@code coap_session_get_tls}): cipher suite, PSK identity, peer
     * certificates.
     *
     * @return the protected session, or empty for a UDP session or before the handshake ends
     */
    Optional<SecureDatagramSession> tls();

    /**
     * @return the TLS session of a {@code coaps+tcp} session once its handshake is done (protocol,
     *     cipher suite, peer certificates); empty for every other transport
     */
    Optional<javax.net.ssl.SSLSession> tlsSession();

    /**
     * @return what a {@code coaps+tcp} or {@code coaps+ws} session secured through a
     *     {@link io.sluice.security.SecureStreamProvider} (TLS-PSK) agreed, once its handshake is done:
     *     version, cipher suite, the client's PSK identity; empty for every other transport
     */
    Optional<io.sluice.security.SecureStreamSession> secureStream();

    /** @return a server session's PSK identity hint, if PSK was used */
    Optional<byte[]> pskHint();

    /** @return the session's pre-shared key, if PSK was used */
    Optional<byte[]> pskKey();

    /**
     * @return over a reliable transport, what the peer's CSM said (Max-Message-Size,
     *     Block-Wise-Transfer; RFC 8323 §5.3); empty over UDP and DTLS and before it came
     */
    Optional<CoapSignals.Csm> peerCsm();

    /**
     * @return what the peer's Release said, if it ended this reliable session with one (RFC 8323
     *     §5.5): the Alternative-Address values to try instead, the Hold-Off (clients of this JVM
     *     refuse to reconnect to that server before it has passed), the diagnostic
     */
    Optional<CoapSignals.Release> peerRelease();

    /** @return completes when the session is freed */
    Mono<Void> onClose();
}
