package io.sluice.interop;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A NAT on loopback: the client talks to {@link #address()}, and the relay forwards to the server
 * from an "outside" socket. {@link #rebind()} replaces the outside socket with one on a new port,
 * as a NAT does when its mapping expires, so the server sees the same client arrive from a new
 * address. It also counts client datagrams that start with a tls12_cid record (content type 25,
 * RFC 9146) and keeps the last client datagram, so a test can replay it from elsewhere.
 */
final class NatRebindingRelay implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private final InetSocketAddress server;
    private final UdpSocket inside;
    private final AtomicReference<UdpSocket> outside = new AtomicReference<>();
    private final AtomicLong connectionIdDatagrams = new AtomicLong();
    private final AtomicReference<byte[]> lastFromClient = new AtomicReference<>();
    private volatile InetSocketAddress client;

    NatRebindingRelay(InetSocketAddress server) {
        this.server = server;
        this.inside = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
        inside.attach(new FromClient());
        rebind();
    }

    /** Where the client should send. */
    InetSocketAddress address() {
        return inside.localAddress();
    }

    /** Where the server sees the client now. */
    InetSocketAddress outsideAddress() {
        return outside.get().localAddress();
    }

    long connectionIdDatagrams() {
        return connectionIdDatagrams.get();
    }

    byte[] lastFromClient() {
        return lastFromClient.get().clone();
    }

    /** Moves the client to a new outside port; the old mapping is gone. */
    void rebind() {
        UdpSocket next = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
        next.attach(new FromServer());
        UdpSocket previous = outside.getAndSet(next);
        if (previous != null) {
            previous.dispose();
            previous.onDispose().block(TIMEOUT);
        }
    }

    @Override
    public void close() {
        inside.dispose();
        outside.get().dispose();
        inside.onDispose().block(TIMEOUT);
        outside.get().onDispose().block(TIMEOUT);
    }

    private final class FromClient implements DatagramTarget {
        @Override
        public void onDatagram(DatagramPacket packet) {
            try {
                client = packet.sender();
                ByteBuf content = packet.content();
                if (content.isReadable() && content.getUnsignedByte(content.readerIndex()) == 25) {
                    connectionIdDatagrams.incrementAndGet();
                }
                byte[] copy = new byte[content.readableBytes()];
                content.getBytes(content.readerIndex(), copy);
                lastFromClient.set(copy);
                outside.get().write(content.retain(), server);
            } finally {
                packet.release();
            }
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
        }
    }

    private final class FromServer implements DatagramTarget {
        @Override
        public void onDatagram(DatagramPacket packet) {
            try {
                InetSocketAddress to = client;
                if (to != null && packet.sender().equals(server)) {
                    inside.write(packet.content().retain(), to);
                }
            } finally {
                packet.release();
            }
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
        }
    }
}
