package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/** A hand-driven UDP peer for server tests: it sends exactly the messages a test builds and reads the answers. */
final class RawCoapPeer implements AutoCloseable {

    private final DatagramSocket socket;

    RawCoapPeer() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setSoTimeout(20_000);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    void send(CoapMessage message, InetSocketAddress to) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        CoapMessageCodec.INSTANCE.encode(message, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        socket.send(new DatagramPacket(bytes, bytes.length, to));
    }

    CoapMessage receive() throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
        socket.receive(p);
        ByteBuf in = Unpooled.wrappedBuffer(Arrays.copyOf(p.getData(), p.getLength()));
        try {
            return CoapMessageCodec.INSTANCE.decode(in, Limits.defaults());
        } finally {
            in.release();
        }
    }

    CoapMessage exchange(CoapMessage message, InetSocketAddress to) throws IOException {
        send(message, to);
        return receive();
    }

    @Override
    public void close() {
        socket.close();
    }
}
