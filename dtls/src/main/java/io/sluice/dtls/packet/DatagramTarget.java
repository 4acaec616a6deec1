package io.sluice.dtls.packet;

import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/** Where a {@link UdpSocket} hands what it reads. Called on the socket's event loop. */
interface DatagramTarget {

    /** A datagram within the limit; ownership passes to the target. */
    void onDatagram(DatagramPacket packet);

    /** A datagram longer than {@code limit} bytes arrived and was dropped. */
    void onOversized(InetSocketAddress sender, int limit);
}
