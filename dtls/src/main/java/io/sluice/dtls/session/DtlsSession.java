package io.sluice.dtls.session;

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
 * An established DTLS 1.2 session with one peer. Application data comes in as
 * {@link #receive()} and goes out through {@link #send(Publisher)}, both with backpressure.
 *
 * <p><b>Buffers:</b> each {@code ByteBuf} from {@link #receive()} belongs to the subscriber, which
 * releases it; each {@code ByteBuf} given to {@link #send(Publisher)} belongs to the session, which
 * releases it once protected and written.
 *
 * <p>Thread-safe. Records are processed on Sluice's bounded DTLS scheduler when datagrams arrive;
 * an idle session holds memory only, no thread.
 */
public interface DtlsSession extends Disposable {

    /**
     * The peer's address.
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
     * The negotiated cipher suite, by its IANA name.
     *
     * @return for example {@code TLS_PSK_WITH_AES_128_GCM_SHA256}
     */
    String cipherSuite();

    /**
     * The DTLS-SRTP protection profile negotiated with use_srtp (RFC 5764), if both ends asked for it.
     *
     * @return the profile
     */
    Optional<SrtpProfile> srtpProfile();

    /**
     * The PSK identity the session was keyed with, if PSK.
     *
     * @return the identity bytes
     */
    Optional<byte[]> pskIdentity();

    /**
     * The peer's certificate chain, leaf first; empty for PSK or an unauthenticated client.
     *
     * @return the chain
     */
    List<X509Certificate> peerCertificates();

    /**
     * Keying material (RFC 5705) exported when the handshake completed, for example to key SRTP
     * (label {@code "EXTRACTOR-dtls_srtp"}, RFC 5764). The export must have been declared with
     * {@code exportKeyingMaterial(...)} on the client or server spec; otherwise this throws
     * {@link IllegalStateException}.
     *
     * @param label the exporter label
     * @param context the context, or null for none
     * @param length bytes wanted
     * @return the material
     */
    byte[] exportKeyingMaterial(String label, byte[] context, int length);

    /**
     * Application data from the peer, one {@code ByteBuf} per record, for one subscriber.
     * Completes when the peer closes (close_notify) or the session is closed; fails if the session
     * fails. Records beyond the bounded buffer of a slow subscriber are dropped and counted.
     *
     * @return the records; each is the subscriber's to release
     */
    Flux<ByteBuf> receive();

    /**
     * Protects and sends each buffer as one record, requesting more only as writes complete.
     *
     * @param data the records; each becomes the session's to release
     * @return completes when all were sent
     */
    Mono<Void> send(Publisher<? extends ByteBuf> data);

    /**
     * Records lost because the {@link #receive()} subscriber was too slow.
     *
     * @return the count
     */
    long overruns();

    /**
     * Sends close_notify and ends the session.
     *
     * @return completes once closed
     */
    Mono<Void> close();
}
