package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.dtls.packet.PacketSink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.TlsTimeoutException;

/**
 * The {@link DatagramTransport} one BouncyCastle handshake reads and writes through, and nothing
 * after it: once the handshake completes, the session's {@link RecordLayer} carries every record
 * and BouncyCastle's transport is never used again.
 *
 * <p>Datagrams from the event loop go into a bounded lock-free queue ({@link #offer}, never
 * blocking the loop); BouncyCastle's handshake thread waits on it with {@code parkNanos}. What
 * BouncyCastle writes goes straight to the sink, and the datagrams of its latest flight are kept
 * for the record layer that takes over (its sequence numbers continue after them).
 *
 * <p>Threading: {@link #offer} on the event loop; {@link #receive}, {@link #send} and the flight
 * on BouncyCastle's handshake thread; {@link #end} and {@link #drain} from any thread. Buffers:
 * datagrams offered stay the caller's (they are copied); what is sent is the sink's.
 */
final class HandshakeTransport implements DatagramTransport {

    /** The largest datagram sent: a 1500-byte Ethernet MTU minus the IPv4 and UDP headers. */
    static final int SEND_LIMIT = 1472;
    /** Datagrams queued for BouncyCastle before more are dropped. */
    private static final int QUEUED_DATAGRAMS = 64;

    private final PacketSink out;
    private final InetSocketAddress remote;
    private final int receiveLimit;
    private final int connectionIdLength;
    private final Queue<Datagram> datagrams = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean ended;
    private volatile Thread waiter;
    /** When a server handshake started; with {@link #secondFlightDeadline}, set once before it runs. */
    private volatile long startedNanos;
    /** A server handshake fails when the client has sent nothing by then; 0 when no such deadline applies. */
    private volatile long secondFlightDeadline;
    /** Whether any datagram arrived for BouncyCastle since the handshake began. */
    private volatile boolean heard;
    // On BouncyCastle's thread while it runs; read by the record layer's maker after it returned.
    private List<byte[]> flight = new ArrayList<>();
    private boolean flightEnded;

    /** A queued datagram and where it came from. */
    private record Datagram(byte[] bytes, InetSocketAddress sender) {
    }

    /**
     * @param remote where BouncyCastle's datagrams go
     * @param receiveLimit the largest datagram the pipe delivers
     * @param connectionIdLength the length of the connection ID this side receives, 0 if none
     */
    HandshakeTransport(PacketSink out, InetSocketAddress remote, int receiveLimit, int connectionIdLength) {
        this.out = out;
        this.remote = remote;
        this.receiveLimit = receiveLimit;
        this.connectionIdLength = connectionIdLength;
    }

    /**
     * Queues a datagram for BouncyCastle; on the event loop, never blocks.
     *
     * @return false if it was dropped: malformed for BouncyCastle ({@link RecordFilter}), the queue full, or the handshake over
     */
    boolean offer(ByteBuf content, InetSocketAddress sender) {
        if (ended || !RecordFilter.acceptable(content, connectionIdLength)) {
            return false;
        }
        if (queued.incrementAndGet() > QUEUED_DATAGRAMS) {
            queued.decrementAndGet();
            return false;
        }
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        datagrams.offer(new Datagram(bytes, sender));
        if (!heard) {
            heard = true;
        }
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        return true;
    }

    /** Hands every queued datagram to {@code to} and empties the queue; for the record layer that takes over. */
    void drain(BiConsumer<byte[], InetSocketAddress> to) {
        for (Datagram d; (d = datagrams.poll()) != null; ) {
            queued.decrementAndGet();
            to.accept(d.bytes, d.sender);
        }
    }

    /** Makes BouncyCastle's wait fail (if it still waits) and discards what is queued; idempotent. */
    void end() {
        ended = true;
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
        drain((bytes, sender) -> { });
    }

    /**
     * Starts a server handshake's clock: the client, having passed the cookie exchange with its
     * ClientHello, must send its next flight within {@code nanos} or the handshake fails.
     */
    void awaitSecondFlight(long nanos) {
        long now = System.nanoTime();
        startedNanos = now;
        secondFlightDeadline = now + nanos;
    }

    /** @return whether this is a server handshake whose client has sent nothing since its ClientHello */
    boolean awaitingSecondFlight() {
        return !heard && secondFlightDeadline != 0 && !ended;
    }

    long startedNanos() {
        return startedNanos;
    }

    /** The datagrams of the last flight BouncyCastle wrote; read once its handshake returned. */
    List<byte[]> lastFlight() {
        return flight;
    }

    @Override
    public int getReceiveLimit() {
        return receiveLimit;
    }

    @Override
    public int getSendLimit() {
        return SEND_LIMIT;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        long secondFlight = secondFlightDeadline;
        if (secondFlight != 0 && !heard && deadline - secondFlight > 0) {
            deadline = secondFlight;
        }
        for (;;) {
            Datagram d = datagrams.poll();
            if (d != null) {
                queued.decrementAndGet();
                int n = Math.min(len, d.bytes.length);
                System.arraycopy(d.bytes, 0, buf, off, n);
                flightEnded = true; // whatever BouncyCastle writes next is a new flight
                return n;
            }
            if (ended) {
                throw new IOException("DTLS transport to " + remote + " is closed");
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                if (secondFlight != 0 && !heard && System.nanoTime() - secondFlight >= 0) {
                    throw new TlsTimeoutException("the client sent nothing after its ClientHello within the second-flight timeout");
                }
                return -1;
            }
            waiter = Thread.currentThread();
            if (datagrams.isEmpty() && !ended) {
                LockSupport.parkNanos(this, remaining);
            }
            waiter = null;
        }
    }

    @Override
    public void send(byte[] buf, int off, int len) {
        if (flightEnded) {
            flight = new ArrayList<>();
            flightEnded = false;
        }
        flight.add(Arrays.copyOfRange(buf, off, off + len));
        out.write(Unpooled.copiedBuffer(buf, off, len), remote);
    }

    /**
     * BouncyCastle closes the transport on close_notify, on a fatal alert, and on our close.
     * During the handshake it then throws to whoever runs it, which closes the session with that
     * error as the reason; after the handshake BouncyCastle holds no transport of ours. So there
     * is nothing to do here: closing first would end the session without its reason.
     */
    @Override
    public void close() {
    }
}
