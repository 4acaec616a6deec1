package io.sluice.coap;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.function.Consumer;

/**
 * The channel pipelines of the reliable transports, one place for client and server: TLS first
 * when secured, then either RFC 8323 §3's length framing or the HTTP upgrade to a WebSocket at
 * {@value #PATH} with subprotocol {@value #SUBPROTOCOL} (§4), then the reliable message layer.
 * Every stage is bounded by our Max-Message-Size: a longer frame, WebSocket message or upgrade
 * request is refused rather than buffered.
 */
final class ReliablePipelines {

    /** Where CoAP over WebSockets lives (RFC 8323 §4.1, §8.3). */
    static final String PATH = "/.well-known/coap";
    /** The WebSocket subprotocol (RFC 8323 §4.1, §8.1). */
    static final String SUBPROTOCOL = "coap";
    private static final int MAX_UPGRADE_BYTES = 8192;

    private ReliablePipelines() {
    }

    /** Installs a server connection's handlers; the link is the endpoint's. */
    static ReliableLink server(Channel channel, CoapEndpoint endpoint, SessionImpl session, ReliableLink.Settings settings, CoapTraffic traffic) {
        ChannelPipeline p = channel.pipeline();
        if (settings.tls() != null) {
            p.addLast(settings.tls().newHandler(channel, session.remoteAddress(), false));
        }
        ReliableLink link = new ReliableLink(channel, endpoint, session, settings, traffic, failure -> { });
        if (settings.webSocket()) {
            p.addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_UPGRADE_BYTES),
                    new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                            .websocketPath(PATH).subprotocols(SUBPROTOCOL)
                            .handshakeTimeoutMillis(settings.csmTimeout().toMillis())
                            .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(link.maxMessageBytes()).build())
                            .build()),
                    new WebSocketFrameAggregator(link.maxMessageBytes()), new WebSocketFrames());
        } else {
            p.addLast(new ReliableFrames(link.maxMessageBytes()));
        }
        p.addLast(link);
        return link;
    }

    /** Installs a client connection's handlers; {@code onReady} hears when both CSMs have crossed, or why not. */
    static ReliableLink client(Channel channel, CoapEndpoint endpoint, SessionImpl session, ReliableLink.Settings settings,
            InetSocketAddress remote, CoapTraffic traffic, Consumer<Throwable> onReady) {
        ChannelPipeline p = channel.pipeline();
        if (settings.tls() != null) {
            p.addLast(settings.tls().newHandler(channel, remote, true));
        }
        ReliableLink link = new ReliableLink(channel, endpoint, session, settings, traffic, onReady);
        if (settings.webSocket()) {
            String host = remote.getAddress() instanceof java.net.Inet6Address ? "[" + remote.getHostString() + "]" : remote.getHostString();
            URI uri = URI.create((settings.tls() != null ? "wss://" : "ws://") + host + ":" + remote.getPort() + PATH);
            // A separate decoder and encoder rather than HttpClientCodec: the handshake removes the decoder
            // and hands what followed the 101 response (often the server's CSM, in the same read) on.
            p.addLast(new HttpResponseDecoder(), new HttpRequestEncoder(), new HttpObjectAggregator(MAX_UPGRADE_BYTES),
                    new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                            .webSocketUri(uri).subprotocol(SUBPROTOCOL)
                            .handshakeTimeoutMillis(settings.csmTimeout().toMillis())
                            .maxFramePayloadLength(link.maxMessageBytes())
                            .build()),
                    new WebSocketFrameAggregator(link.maxMessageBytes()), new WebSocketFrames());
        } else {
            p.addLast(new ReliableFrames(link.maxMessageBytes()));
        }
        p.addLast(link);
        return link;
    }
}
