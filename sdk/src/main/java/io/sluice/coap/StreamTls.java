package io.sluice.coap;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SslContext;
import io.sluice.security.SecureStreamProvider;
import java.net.InetSocketAddress;

/**
 * How a {@code coaps+tcp} or {@code coaps+ws} connection is secured: Netty's {@link SslContext}
 * (the JDK's or OpenSSL's TLS, with certificates), or a {@link SecureStreamProvider} (TLS-PSK on
 * BouncyCastle). Exactly one of the two is set. Immutable.
 */
record StreamTls(SslContext context, SecureStreamProvider provider) {

    static StreamTls of(SslContext context) {
        return new StreamTls(context, null);
    }

    static StreamTls of(SecureStreamProvider provider) {
        return new StreamTls(null, provider);
    }

    /** The handler that goes first in a connection's pipeline. */
    ChannelHandler newHandler(Channel channel, InetSocketAddress peer, boolean client) {
        if (provider != null) {
            return provider.newHandler(channel.alloc(), peer, client);
        }
        return client ? context.newHandler(channel.alloc(), peer.getHostString(), peer.getPort()) : context.newHandler(channel.alloc());
    }
}
