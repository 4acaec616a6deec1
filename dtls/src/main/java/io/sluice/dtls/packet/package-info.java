/**
 * DTLS packet endpoints, the reactive form of Aculab Prosody's DTLS[rx]/DTLS[tx] API:
 * {@link io.sluice.dtls.packet.UdpSocket} (a UDP binding), {@link io.sluice.dtls.packet.DtlsRx}
 * (packets in as a {@code Flux} whose demand drains a bounded buffer; overruns counted and
 * reported), {@link io.sluice.dtls.packet.DtlsTx} (packets out from any {@code Publisher}, with
 * demand as the capacity notification) and {@link io.sluice.dtls.packet.RtpPort} (one media port
 * carrying STUN, DTLS, RTP/RTCP and others, split by first byte per RFC 7983 and RFC 9443).
 *
 * <p>Seed to Sluice: {@code sm_dtlsrx_create} → {@code DtlsRx.spec().create()} or
 * {@code .on(socket)}; {@code get_event}/{@code status} → the signals of {@code packets()} and
 * {@code events()}; {@code get_packet} → {@code onNext}; {@code stop} → {@code stop()};
 * {@code destroy} → {@code dispose()}. {@code sm_dtlstx_config}/{@code _config_ipv6} →
 * {@code DtlsTx.to(destination).from(source)}; {@code config_notify} →
 * {@code capacityBytes}/{@code notifyAt}; {@code send_packet} → the source given to
 * {@code send(Publisher)}; {@code sm_vmprx_config_dtls} → {@code RtpPort.configDtls(rx, port)}.
 *
 * <p>{@link io.sluice.dtls.packet.PacketPipe} is the seam to the layer above: datagrams in (a
 * socket, or any {@code Publisher} such as {@code DtlsRx.packets()}) and a
 * {@link io.sluice.dtls.packet.PacketSink} out ({@code UdpSocket} or {@code DtlsTx}), so DTLS
 * sessions run on an {@code RtpPort}'s DTLS class as well as on a socket of their own.
 *
 * <p>Threading: every type is thread-safe; network I/O runs on the shared "sluice-udp" event
 * loops (native epoll when available) and never blocks. Buffer ownership is stated on each type:
 * packets delivered to a subscriber are the subscriber's to release; packets handed to a tx are
 * the tx's.
 */
package io.sluice.dtls.packet;
