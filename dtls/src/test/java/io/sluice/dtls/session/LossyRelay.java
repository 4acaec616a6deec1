package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP relay on loopback that loses, duplicates and reorders datagrams: clients talk to it as if it
 * were the server. Each datagram is dropped with probability {@code loss}; otherwise it is sent twice
 * with probability {@code duplicate}, and with probability {@code reorder} held back and sent after
 * the next one (or after 3 ms, when no next one comes). Runs on the socket's event loop.
 */
final class LossyRelay implements DatagramTarget, AutoCloseable {

    /** The longest a reordered datagram waits for the one it is to follow. */
    private static final long HOLD_MILLIS = 3;

    private final UdpSocket socket;
    private final InetSocketAddress server;
    private final double loss;
    private final double reorder;
    private final double duplicate;
    private final Random random;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private InetSocketAddress client;
    private ByteBuf held;
    private InetSocketAddress heldTo;

    LossyRelay(InetSocketAddress server, double loss, double reorder, long seed) {
        this(server, loss, 0, reorder, seed);
    }

    LossyRelay(InetSocketAddress server, double loss, double duplicate, double reorder, long seed) {
        this.duplicate = duplicate;
        this.socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        this.server = server;
        this.loss = loss;
        this.reorder = reorder;
        this.random = new Random(seed);
        socket.attach(this);
    }

    InetSocketAddress address() {
        return socket.localAddress();
    }

    long dropped() {
        return dropped.get();
    }

    long reordered() {
        return reordered.get();
    }

    long duplicated() {
        return duplicated.get();
    }

    @Override
    public void onDatagram(DatagramPacket packet) {
        InetSocketAddress to;
        if (packet.sender().equals(server)) {
            to = client;
        } else {
            client = packet.sender();
            to = server;
        }
        ByteBuf content = packet.content().retain();
        packet.release();
        if (to == null || random.nextDouble() < loss) {
            content.release();
            dropped.incrementAndGet();
            return;
        }
        if (random.nextDouble() < duplicate) {
            socket.write(content.retainedDuplicate(), to);
            duplicated.incrementAndGet();
        }
        if (held == null && random.nextDouble() < reorder) {
            held = content;
            heldTo = to;
            reordered.incrementAndGet();
            // Late, not lost: it goes after the next datagram, or after a few milliseconds when none comes.
            ByteBuf late = content;
            socket.eventLoop().schedule(() -> {
                if (held == late) {
                    held = null;
                    socket.write(late, heldTo);
                }
            }, HOLD_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            return;
        }
        socket.write(content, to);
        if (held != null) {
            socket.write(held, heldTo);
            held = null;
        }
    }

    @Override
    public void onOversized(InetSocketAddress sender, int limit) {
    }

    @Override
    public void close() {
        socket.eventLoop().execute(() -> {
            if (held != null) {
                held.release();
                held = null;
            }
        });
        socket.dispose();
        socket.onDispose().block(DtlsPskTest.TIMEOUT);
    }
}
