package io.sluice.dtls.session;

import io.sluice.security.SecureDatagramSession;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * A DTLS 1.2 session with one peer: a {@link SecureDatagramSession} whose payloads
 * are DTLS application-data records, plus what only DTLS has (use_srtp, RFC 5705 exports,
 * connection IDs). Closing sends close_notify.
 *
 * <p><b>Buffers:</b> each {@code ByteBuf} from {@link #receive()} belongs to the subscriber, which
 * releases it; each {@code ByteBuf} given to {@link #send} belongs to the session, which
 * releases it once protected and written.
 *
 * <p>Thread-safe. Records are opened on the thread the datagram arrives on (the event loop) and
 * protected on the thread that sends them, without blocking; an idle session holds memory only,
 * no thread. Records from {@link #receive()} are delivered on the event loop.
 */
public interface DtlsSession extends SecureDatagramSession {

    /**
     * This session once its handshake has completed. A client's sessions are; a server's are
     * handed out as their handshakes start.
     *
     * @return the session; fails with a {@link DtlsException} if the handshake failed or the
     *         session closed first
     */
    @Override
    Mono<DtlsSession> established();

    /**
     * The DTLS-SRTP protection profile negotiated with use_srtp (RFC 5764), if both ends asked for it.
     *
     * @return the profile
     */
    Optional<SrtpProfile> srtpProfile();

    /**
     * The SRTP master keys and salts, when use_srtp was negotiated: exported at the end of the
     * handshake with the profile's length, with no need to declare the export.
     *
     * @return the keys, split per RFC 5764 §4.2
     */
    Optional<SrtpKeys> srtpKeys();

    /**
     * The connection IDs (RFC 9146) negotiated for this session, if any.
     *
     * @return the IDs in each direction
     */
    Optional<ConnectionIds> connectionIds();

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
}
