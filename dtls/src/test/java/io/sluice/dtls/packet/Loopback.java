package io.sluice.dtls.packet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.function.LongSupplier;
import io.sluice.testing.Await;

/** A plain JDK UDP sender on loopback (an independent peer for the endpoints) and a counter wait. */
final class Loopback implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DatagramChannel channel;

    Loopback() throws IOException {
        channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    void send(InetSocketAddress to, byte... bytes) throws IOException {
        channel.send(ByteBuffer.wrap(bytes), to);
    }

    void sendSized(InetSocketAddress to, int length, byte first) throws IOException {
        byte[] b = new byte[length];
        b[0] = first;
        channel.send(ByteBuffer.wrap(b), to);
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** Receives one datagram into a fresh array, waiting at most the timeout. */
    byte[] receive() throws IOException {
        channel.configureBlocking(true);
        channel.socket().setSoTimeout((int) TIMEOUT.toMillis());
        byte[] buf = new byte[4096];
        java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
        channel.socket().receive(p);
        return java.util.Arrays.copyOf(buf, p.getLength());
    }

    /** Waits, with a timeout, until a counter reaches a value; a counter has no signal to wait on. */
    static void awaitCount(LongSupplier counter, long expected) {
        Await.until(() -> counter.getAsLong() >= expected, TIMEOUT);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
