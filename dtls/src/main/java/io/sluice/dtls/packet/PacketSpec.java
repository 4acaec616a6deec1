package io.sluice.dtls.packet;

import io.sluice.metrics.SluiceMeters;
import io.sluice.metrics.Telemetry;
import io.sluice.wiretap.Wiretap;
import java.util.Objects;

/**
 * What the packet endpoint specs ({@link DtlsRx.Spec}, {@link DtlsTx.Spec}, {@link RtpPort.Spec})
 * share: where their endpoints record meters and log packets. Immutable, like the specs.
 *
 * @param <S> the spec type
 */
abstract class PacketSpec<S extends PacketSpec<S>> {

    final Telemetry observing;

    PacketSpec(Telemetry observing) {
        this.observing = Objects.requireNonNull(observing, "observing");
    }

    /** @return a copy of this spec with {@code o} */
    abstract S with(Telemetry o);

    /**
     * Records the endpoint's packets (received or sent, bytes, buffered) and drops by reason in
     * {@code registry}, tagged {@code endpoint} (the README's "Observing Sluice"). Needs
     * Micrometer on the class path.
     *
     * @param registry where to record
     * @return the new spec
     */
    public S metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return with(observing.withMeters(SluiceMeters.of(registry)));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return the new spec
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public S metrics(boolean enable) {
        return with(observing.withMeters(SluiceMeters.global(enable)));
    }

    /**
     * @param enable log each packet (what it is, its length, its peer) at DEBUG under
     *     {@code io.sluice.wiretap.packet}, with a hex dump at TRACE; or nothing (the default)
     * @return the new spec
     */
    public S wiretap(boolean enable) {
        return with(observing.withWiretap(Wiretap.of("packet", enable)));
    }

    /**
     * @param category the SLF4J logger to log packets to
     * @param level the level of the one-line packets (hex dumps at TRACE)
     * @return the new spec
     */
    public S wiretap(String category, org.slf4j.event.Level level) {
        return with(observing.withWiretap(Wiretap.of(category, level)));
    }
}
