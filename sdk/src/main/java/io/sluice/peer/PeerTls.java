package io.sluice.peer;

import io.netty.handler.ssl.SslContext;

/**
 * The TLS contexts of a peer: one for accepted connections, one for connections it makes; either
 * may be null (no TLS that way). Immutable.
 */
record PeerTls(SslContext server, SslContext client) {

    static final PeerTls NONE = new PeerTls(null, null);
}
