package io.sluice.dtls.packet;

import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * Where a {@link UdpSocket} hands what it reads: an rx endpoint, a demultiplexer, or a protocol
 * layer such as DTLS sessions. Called on the socket's event loop; implementations must not block.
 */
public interface DatagramTarget {

    /**
     * A datagram within the receive limit.
     *
     * @param packet the datagram; ownership passes to the target, which releases it
     */
    void onDatagram(DatagramPacket packet);

    /**
     * A datagram longer than {@code limit} bytes arrived and was dropped.
     *
     * @param sender who sent it
     * @param limit the receive limit
     */
    void onOversized(InetSocketAddress sender, int limit);
}
