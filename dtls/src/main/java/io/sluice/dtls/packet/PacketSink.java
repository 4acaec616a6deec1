package io.sluice.dtls.packet;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * Where a protocol layer above the packet endpoints (DTLS sessions) sends datagrams: a
 * {@link UdpSocket}, which sends anywhere, or a {@link DtlsTx}, which sends to its one
 * destination. The outbound half of a {@link PacketPipe}.
 *
 * <p><b>Buffers:</b> the content passed to {@link #write} belongs to the sink from then on, sent or
 * not.
 *
 * <p>Implementations are thread-safe and never block the caller.
 */
public interface PacketSink {

    /**
     * Sends one datagram.
     *
     * @param content the payload; ownership passes to the sink
     * @param destination where to
     * @return the send's completion; failed, never thrown, when the sink cannot send there
     */
    Future<Void> write(ByteBuf content, InetSocketAddress destination);

    /**
     * Whether the outbound buffer is below its high-water mark; a writer that sees false waits
     * for its last send to complete before sending more.
     *
     * @return true if more can be sent without queueing up
     */
    boolean isWritable();

    /**
     * The address datagrams leave from.
     *
     * @return the local address
     */
    InetSocketAddress localAddress();
}
