package io.sluice.dtls.packet;

import io.netty.buffer.ByteBuf;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * What a packet endpoint spec ({@link DtlsRx.Spec}, {@link DtlsTx.Spec}, {@link RtpPort.Spec}) says
 * about meters and the wiretap. The endpoints' own counters become read-on-scrape meters tagged
 * {@code endpoint} ({@code dtls.rx}, {@code dtls.tx}, {@code rtp.port}); the wiretap logs one line
 * per packet (class or direction, length, peer) under {@code io.sluice.wiretap.packet}.
 */
record PacketObserving(SluiceMeters meters, Wiretap wiretap) {

    static final PacketObserving NONE = new PacketObserving(SluiceMeters.none(), Wiretap.off());

    PacketObserving {
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(wiretap, "wiretap");
    }

    PacketObserving withMeters(SluiceMeters m) {
        return new PacketObserving(m, wiretap);
    }

    PacketObserving withWiretap(Wiretap w) {
        return new PacketObserving(meters, w);
    }

    /** @return an empty group for one endpoint, to fill with {@link #counter} and {@link #drops} */
    MeterGroup group() {
        return meters.group();
    }

    static void counter(MeterGroup group, String endpoint, String name, String description, String unit, LongSupplier source) {
        group.counter(name, description, unit, source, "endpoint", endpoint);
    }

    static void drops(MeterGroup group, String endpoint, String reason, LongSupplier source) {
        group.counter("sluice.packet.drops", "packets dropped by packet endpoints", "packets", source, "endpoint", endpoint, "reason", reason);
    }

    /** Logs one packet when the tap is on. */
    void log(String endpoint, String direction, String what, ByteBuf content, InetSocketAddress peer) {
        if (wiretap.enabled()) {
            wiretap.log(endpoint + " " + peer, direction, what + ", " + content.readableBytes() + " bytes", content);
        }
    }
}
