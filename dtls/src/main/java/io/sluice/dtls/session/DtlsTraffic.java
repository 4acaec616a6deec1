package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.Future;
import io.sluice.dtls.packet.PacketSink;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.Telemetry;
import io.sluice.metrics.Timing;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one DTLS server, or one client session, counts and logs: datagrams and bytes each way,
 * handshakes by outcome and cipher suite with their duration, and the wiretap of record headers.
 * Counters are {@link LongAdder}s bumped on event loops (in) and senders (out), read by the meters
 * on a scrape; the wiretap reads each datagram's record headers without moving its indexes.
 */
final class DtlsTraffic {

    private static final String[] CONTENT_TYPES = {"change_cipher_spec", "alert", "handshake", "application_data", "heartbeat"};

    final LongAdder datagramsIn = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder datagramsOut = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder refused = new LongAdder();
    private final Telemetry observing;
    private final String role;
    private final MeterGroup group;
    /** Handshake timers by outcome and suite: suites come from the spec's configured list, so this stays small. */
    private final Map<String, Timing> handshakes = new ConcurrentHashMap<>();

    DtlsTraffic(Telemetry observing, boolean server) {
        this.observing = observing;
        this.role = server ? "server" : "client";
        this.group = observing.meters().group();
        String[] tags = {"role", role};
        group.counter("sluice.dtls.datagrams.received", "datagrams handed to DTLS", "datagrams", datagramsIn::sum, tags)
                .counter("sluice.dtls.datagrams.sent", "datagrams DTLS sent", "datagrams", datagramsOut::sum, tags)
                .counter("sluice.dtls.bytes.received", "bytes of datagrams handed to DTLS", "bytes", bytesIn::sum, tags)
                .counter("sluice.dtls.bytes.sent", "bytes of datagrams DTLS sent", "bytes", bytesOut::sum, tags);
    }

    MeterGroup group() {
        return group;
    }

    String role() {
        return role;
    }

    boolean timed() {
        return observing.meters().enabled();
    }

    /** @return the IANA name of the suite a completed handshake negotiated ({@code unknown} if it recorded none) */
    static String suiteOf(HandshakeState completed) {
        HandshakeState.Negotiated n = completed == null ? null : completed.negotiated();
        return n == null ? "unknown" : DtlsRuntime.suiteName(n.cipherSuite());
    }

    /** A handshake ended: {@code suite} is null when it failed. */
    void handshake(boolean success, String suite, long nanos) {
        String outcome = success ? "success" : "failure";
        String s = suite == null ? "none" : suite;
        handshakes.computeIfAbsent(outcome + ' ' + s, k -> observing.meters().timer("sluice.dtls.handshakes",
                "DTLS handshakes, from the first flight that costs state to established or failed",
                "role", role, "outcome", outcome, "cipher.suite", s)).record(nanos);
    }

    /** A datagram for DTLS came in: counted, and its records logged when the tap is on. */
    void received(ByteBuf datagram, InetSocketAddress from) {
        datagramsIn.increment();
        bytesIn.add(datagram.readableBytes());
        Wiretap tap = observing.wiretap();
        if (tap.enabled()) {
            tap.log("dtls " + from, "IN", records(datagram), datagram);
        }
    }

    private void sent(ByteBuf datagram, InetSocketAddress to) {
        datagramsOut.increment();
        bytesOut.add(datagram.readableBytes());
        Wiretap tap = observing.wiretap();
        if (tap.enabled()) {
            tap.log("dtls " + to, "OUT", records(datagram), datagram);
        }
    }

    /** {@code sink}, counting and tapping what goes through it. */
    PacketSink tap(PacketSink sink) {
        return new PacketSink() {
            @Override
            public Future<Void> write(ByteBuf content, InetSocketAddress destination) {
                sent(content, destination);
                return sink.write(content, destination);
            }

            @Override
            public boolean isWritable() {
                return sink.isWritable();
            }

            @Override
            public InetSocketAddress localAddress() {
                return sink.localAddress();
            }
        };
    }

    /** The meters go (server disposed, client session closed); counts stay in the registry. */
    void close() {
        group.dispose();
    }

    /**
     * One line for a datagram's records (RFC 6347 §4.1, RFC 9146 §4): content type, epoch,
     * sequence number and length of each, as far as the headers hold together.
     */
    static String records(ByteBuf datagram) {
        StringBuilder b = new StringBuilder();
        int at = datagram.readerIndex();
        int end = datagram.writerIndex();
        while (end - at >= 13) {
            int type = datagram.getUnsignedByte(at);
            int epoch = datagram.getUnsignedShort(at + 3);
            long sequence = datagram.getUnsignedInt(at + 5) << 16 | datagram.getUnsignedShort(at + 9);
            if (type == RecordFilter.TLS12_CID) {
                b.append(b.length() == 0 ? "" : "; ").append("tls12_cid epoch=").append(epoch).append(" seq=").append(sequence);
                break; // the CID's length is not in the header: the rest cannot be walked from here
            }
            int length = datagram.getUnsignedShort(at + 11);
            String name = type >= 20 && type <= 24 ? CONTENT_TYPES[type - 20] : "type " + type;
            b.append(b.length() == 0 ? "" : "; ").append(name).append(" epoch=").append(epoch).append(" seq=").append(sequence)
                    .append(" len=").append(length);
            at += 13 + length;
        }
        if (at < end && b.length() == 0) {
            b.append(end - at).append(" bytes, no DTLS record");
        }
        return b.toString();
    }
}
