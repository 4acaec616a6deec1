package io.sluice.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's verdict on made-up samples: what counts as a growing heap, an error, a leak. */
class SoakReportTest {

    private static List<Sample> samples(double... heap) {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < heap.length; i++) {
            out.add(new Sample(60L * (i + 1), heap[i], 4, 40, List.of(10_000, 1_000), List.of(1000L * i, 100L * i), List.of(0L, 0L),
                    List.of(0L, 0L), 0,
                    List.of(java.util.Map.of("expired", (long) i), java.util.Map.of())));
        }
        return out;
    }

    private static SoakReport report(List<Sample> samples) {
        return new SoakReport(List.of("CoAP UDP", "CoAP DTLS"), samples, 2);
    }

    @Test
    void aFlatHeapWithNoiseIsWithinNoise() {
        SoakReport report = report(samples(130, 101, 95.2, 96.1, 94.8, 95.9, 95.1, 96.0, 94.9, 95.5, 95.3, 95.8));
        assertThat(report.heapSlope().withinNoise()).isTrue();
        assertThat(report.verdict(List.of())).last().isEqualTo("verdict: PASS");
    }

    @Test
    void aHeapThatClimbsEveryMinuteGrows() {
        double[] heap = new double[30];
        for (int i = 0; i < heap.length; i++) {
            heap[i] = 95 + 0.5 * i + (i % 2 == 0 ? 0.2 : -0.2);
        }
        SoakReport report = report(samples(heap));
        assertThat(report.heapSlope().mibPerHour()).isBetween(29.0, 31.0);
        assertThat(report.heapSlope().withinNoise()).isFalse();
        assertThat(report.verdict(List.of())).last().isEqualTo("verdict: FAIL");
    }

    @Test
    void anErrorOrALeakFailsTheVerdictWhateverTheHeap() {
        List<Sample> withError = new ArrayList<>(samples(95, 95, 95, 95, 95));
        Sample last = withError.remove(withError.size() - 1);
        withError.add(new Sample(last.seconds(), last.heapMib(), last.directMib(), last.threads(), last.live(), last.operations(),
                List.of(0L, 1L), last.skipped(), 0, last.counters()));
        assertThat(report(withError).verdict(List.of("CoAP DTLS: timeout"))).contains("  CoAP DTLS: timeout").last().isEqualTo("verdict: FAIL");
        List<Sample> withLeak = new ArrayList<>(samples(95, 95, 95, 95, 95));
        Sample first = withLeak.remove(0);
        withLeak.add(0, new Sample(first.seconds(), first.heapMib(), first.directMib(), first.threads(), first.live(), first.operations(),
                first.errors(), first.skipped(), 1, first.counters()));
        assertThat(report(withLeak).verdict(List.of())).last().isEqualTo("verdict: FAIL");
    }

    @Test
    void theCsvHasAColumnPerLoadFigureAndTheChartALinePerLoad(@TempDir Path dir) throws Exception {
        List<Sample> samples = samples(95, 96, 95);
        assertThat(SoakReport.csvHeader(List.of("CoAP UDP", "CoAP DTLS"), samples.get(0).counters()).split(",")).hasSize(5 + 2 * 4 + 1)
                .contains("coap_udp_live", "coap_dtls_errors", "coap_udp_expired");
        assertThat(SoakReport.csvRow(samples.get(0)).split(",")).hasSize(5 + 2 * 4 + 1);
        report(samples).writeChart(dir.resolve("soak.svg"), "test <run>");
        String svg = Files.readString(dir.resolve("soak.svg"));
        assertThat(svg).startsWith("<svg").contains("test &lt;run&gt;", ">CoAP UDP<", ">CoAP DTLS<", ">heap after GC<").endsWith("</svg>\n");
    }
}
