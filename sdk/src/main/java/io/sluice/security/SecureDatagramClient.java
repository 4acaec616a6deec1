package io.sluice.security;

import java.net.InetSocketAddress;
import reactor.core.publisher.Mono;

/**
 * The client half of a datagram-security layer: an immutable spec holding credentials that opens
 * protected sessions to servers. Implemented by {@code io.sluice.dtls.session.DtlsClient}.
 */
public interface SecureDatagramClient {

    /**
     * Opens a session with {@code server}: binds an ephemeral UDP port of the server's address
     * family and runs the handshake. Cold: each subscription opens a new session; cancelling
     * abandons the handshake.
     *
     * @param server the server's address
     * @return the established session, or an error naming why the handshake failed
     */
    Mono<? extends SecureDatagramSession> connect(InetSocketAddress server);
}
