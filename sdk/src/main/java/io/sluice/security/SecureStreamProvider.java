package io.sluice.security;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import java.net.InetSocketAddress;

/**
 * The stream-security SPI: TLS that is not the JDK's, for CoAP over TLS ({@code coaps+tcp},
 * {@code coaps+ws}) where Netty's {@code SslContext} cannot serve, such as TLS with pre-shared keys
 * (the {@code dtls} module's {@code io.sluice.dtls.stream.TlsPsk}, on BouncyCastle). An immutable
 * spec; one handler per connection.
 *
 * <p>The handler it makes goes first in the connection's pipeline and keeps the contract of
 * Netty's {@code SslHandler}: it reads ciphertext {@code ByteBuf}s and passes plaintext ones on
 * (owned by the next handler), takes plaintext writes (and releases them) and writes ciphertext;
 * it fires exactly one {@link io.netty.handler.ssl.SslHandshakeCompletionEvent}, successful once
 * the handshake completes or carrying why it failed, and closes the channel after a fatal alert.
 * It also implements {@link SecureStreamSession}. All of it runs on the channel's event loop and
 * must not block there.
 */
public interface SecureStreamProvider {

    /** @return true for a spec that opens connections, false for one that accepts them */
    boolean isClient();

    /**
     * Makes the handler that secures one new connection.
     *
     * @param alloc the channel's allocator
     * @param peer the remote address (a client's server, a server's client)
     * @param client whether this side opened the connection
     * @return a new handler that also implements {@link SecureStreamSession}
     */
    ChannelHandler newHandler(ByteBufAllocator alloc, InetSocketAddress peer, boolean client);
}
