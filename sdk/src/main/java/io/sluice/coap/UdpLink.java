package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import java.net.InetSocketAddress;

/**
 * A UDP socket: shared by every session of a server, or owned by one client session.
 *
 * <p>Messages sent on the socket's loop while it is reading a batch of datagrams (a server's
 * answers, made as the requests are read) are written and flushed once when the batch ends, so the
 * native transport sends them with one {@code sendmmsg}; messages sent at any other time are flushed
 * at once.
 */
final class UdpLink implements Link {

    private final Channel channel;
    private final boolean owned;
    private final CoapTraffic traffic;
    // On the channel's loop only: a read batch is in progress, and writes wait for its end.
    private boolean reading;
    private boolean unflushed;

    UdpLink(Channel channel, boolean owned, CoapTraffic traffic) {
        this.channel = channel;
        this.owned = owned;
        this.traffic = traffic;
    }

    @Override
    public void send(CoapMessage message, InetSocketAddress to) {
        if (!channel.isActive()) {
            traffic.unsent.increment();
            return;
        }
        ByteBuf out = channel.alloc().ioBuffer(CoapMessageCodec.INSTANCE.encodedSize(message));
        try {
            CoapMessageCodec.INSTANCE.encode(message, out);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        traffic.sent(message, out, to);
        if (reading && channel.eventLoop().inEventLoop()) {
            channel.write(new DatagramPacket(out, to), channel.voidPromise());
            unflushed = true;
        } else {
            channel.writeAndFlush(new DatagramPacket(out, to), channel.voidPromise());
        }
    }

    /** A read batch starts; on the loop. */
    void readStarted() {
        reading = true;
    }

    /** A read batch ended: what it answered goes out together; on the loop. */
    void readComplete() {
        reading = false;
        if (unflushed) {
            unflushed = false;
            channel.flush();
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (owned) {
            channel.close();
        }
    }

    Channel channel() {
        return channel;
    }

    /** Hands each datagram to the endpoint, on the channel's loop; drops (and counts) datagrams over the limit. */
    static final class Reader extends ChannelInboundHandlerAdapter {
        private final CoapEndpoint endpoint;
        private final boolean viaGroup;
        private final int maxDatagramBytes;

        Reader(CoapEndpoint endpoint, boolean viaGroup, int maxDatagramBytes) {
            this.endpoint = endpoint;
            this.viaGroup = viaGroup;
            this.maxDatagramBytes = maxDatagramBytes;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket packet)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            if (endpoint.link instanceof UdpLink link) {
                link.readStarted();
            }
            try {
                if (packet.content().readableBytes() > maxDatagramBytes) {
                    endpoint.traffic.malformed.increment();
                    return;
                }
                endpoint.onDatagram(packet.content(), packet.sender(), viaGroup);
            } finally {
                packet.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (endpoint.link instanceof UdpLink link) {
                link.readComplete();
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable and the like surface here on connected sockets; a datagram
            // socket stays open for its other peers.
        }
    }
}
