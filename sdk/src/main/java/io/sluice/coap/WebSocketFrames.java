package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Between the WebSocket codec and the reliable message layer for {@code coap+ws} and
 * {@code coaps+ws} (RFC 8323 §4): each binary message is one CoAP message, handed on as its
 * payload; a text message is refused with close code 1003 (unsupported data), as §4.2 asks, and
 * nothing after it is read. Outbound buffers leave as binary frames. An HTTP request for another
 * path than {@code /.well-known/coap} is answered 404 and closed.
 *
 * <p>Runs on the channel's loop; ownership of each buffer passes on with it.
 */
final class WebSocketFrames extends ChannelDuplexHandler {

    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame frame) {
            if (refused) {
                frame.release();
                return;
            }
            ctx.fireChannelRead(frame.content());
            return;
        }
        if (msg instanceof FullHttpRequest request) {
            // Not the upgrade at /.well-known/coap: this endpoint serves nothing else.
            request.release();
            DefaultFullHttpResponse notFound = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
                    Unpooled.copiedBuffer("CoAP over WebSockets is at /.well-known/coap", java.nio.charset.StandardCharsets.UTF_8));
            notFound.headers().set(HttpHeaderNames.CONTENT_LENGTH, notFound.content().readableBytes());
            ctx.writeAndFlush(notFound).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (msg instanceof PingWebSocketFrame || msg instanceof PongWebSocketFrame || msg instanceof CloseWebSocketFrame) {
            ctx.fireChannelRead(msg); // control frames belong to the WebSocket layer
            return;
        }
        if (msg instanceof WebSocketFrame frame) {
            // Text (or a stray continuation): RFC 8323 §4.2 carries CoAP in binary messages only.
            frame.release();
            if (!refused) {
                refused = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE,
                        "CoAP over WebSockets takes binary messages only")).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buffer) {
            ctx.write(new BinaryWebSocketFrame(buffer), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
