package io.sluice.dtls.packet;

import io.netty.buffer.ByteBuf;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.Telemetry;
import java.net.InetSocketAddress;
import java.util.function.LongSupplier;

/**
 * How the packet endpoints ({@link DtlsRx}, {@link DtlsTx}, {@link RtpPort}) turn their own
 * counters into read-on-scrape meters tagged {@code endpoint} ({@code dtls.rx}, {@code dtls.tx},
 * {@code rtp.port}), and log one wiretap line per packet (what it is, its length, its peer) under
 * {@code io.sluice.wiretap.packet}.
 */
final class PacketMeters {

    private PacketMeters() {
    }

    static void counter(MeterGroup group, String endpoint, String name, String description, String unit, LongSupplier source) {
        group.counter(name, description, unit, source, "endpoint", endpoint);
    }

    static void drops(MeterGroup group, String endpoint, String reason, LongSupplier source) {
        group.counter("sluice.packet.drops", "packets dropped by packet endpoints", "packets", source, "endpoint", endpoint, "reason", reason);
    }

    /** Logs one packet when the endpoint's tap is on. */
    static void log(Telemetry telemetry, String endpoint, String direction, String what, ByteBuf content, InetSocketAddress peer) {
        if (telemetry.wiretap().enabled()) {
            telemetry.wiretap().log(endpoint + " " + peer, direction, what + ", " + content.readableBytes() + " bytes", content);
        }
    }
}
