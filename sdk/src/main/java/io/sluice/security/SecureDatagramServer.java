package io.sluice.security;

import java.net.InetSocketAddress;
import reactor.core.publisher.Mono;

/**
 * The server half of a datagram-security layer: an immutable spec holding credentials and limits
 * that listens for protected sessions. Implemented by {@code io.sluice.dtls.session.DtlsServer}.
 */
public interface SecureDatagramServer {

    /**
     * Binds a UDP socket and starts accepting sessions. Cold: each subscription binds anew.
     *
     * @param local the address and port; port 0 picks one
     * @return the live listener
     */
    Mono<? extends SecureDatagramListener> bind(InetSocketAddress local);
}
