package io.sluice.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the soak writes: the samples as CSV, a chart of heap and sessions over time as SVG, and the
 * verdict. The heap verdict fits a least-squares line to the heap after GC over the samples past
 * the warm-up and calls the slope noise unless it is positive at 95% confidence and the rise it
 * predicts over the measured window is more than 2% of the mean heap.
 */
final class SoakReport {

    private final List<String> loads;
    private final List<Sample> samples;
    private final int warmupSamples;

    SoakReport(List<String> loads, List<Sample> samples, int warmupSamples) {
        this.loads = loads;
        this.samples = samples;
        this.warmupSamples = warmupSamples;
    }

    // ---- CSV -------------------------------------------------------------------------------

    static String csvHeader(List<String> loads, List<java.util.Map<String, Long>> counters) {
        StringBuilder b = new StringBuilder("seconds,heap_mib,direct_mib,threads,leaks");
        for (int i = 0; i < loads.size(); i++) {
            String k = key(loads.get(i));
            b.append(',').append(k).append("_live,").append(k).append("_ops,").append(k).append("_errors,").append(k).append("_skipped");
            for (String counter : counters.get(i).keySet()) {
                b.append(',').append(k).append('_').append(counter);
            }
        }
        return b.toString();
    }

    static String csvRow(Sample s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d,%.1f,%.1f,%d,%d", s.seconds(), s.heapMib(), s.directMib(),
                s.threads(), s.leaks()));
        for (int i = 0; i < s.live().size(); i++) {
            b.append(',').append(s.live().get(i)).append(',').append(s.operations().get(i)).append(',').append(s.errors().get(i))
                    .append(',').append(s.skipped().get(i));
            for (long value : s.counters().get(i).values()) {
                b.append(',').append(value);
            }
        }
        return b.toString();
    }

    private static String key(String load) {
        return load.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }

    // ---- verdict ---------------------------------------------------------------------------

    /** Heap slope over the measured samples: MiB per hour, its 95% half-width, the mean heap, the minutes measured. */
    record Slope(double mibPerHour, double halfWidth95, double meanMib, double minutes) {
        boolean withinNoise() {
            boolean significant = mibPerHour - halfWidth95 > 0;
            double rise = mibPerHour * minutes / 60;
            return !significant || rise < 0.02 * meanMib;
        }
    }

    Slope heapSlope() {
        List<Sample> measured = samples.subList(Math.min(warmupSamples, samples.size()), samples.size());
        int n = measured.size();
        if (n < 3) {
            return new Slope(0, Double.POSITIVE_INFINITY, n == 0 ? 0 : measured.get(0).heapMib(), 0);
        }
        double mx = 0;
        double my = 0;
        for (Sample s : measured) {
            mx += s.seconds() / 3600.0;
            my += s.heapMib();
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        for (Sample s : measured) {
            double x = s.seconds() / 3600.0 - mx;
            sxx += x * x;
            sxy += x * (s.heapMib() - my);
        }
        double slope = sxy / sxx;
        double residuals = 0;
        for (Sample s : measured) {
            double e = s.heapMib() - (my + slope * (s.seconds() / 3600.0 - mx));
            residuals += e * e;
        }
        double standardError = Math.sqrt(residuals / (n - 2) / sxx);
        // Student's t at 97.5% for n-2 degrees of freedom, close enough from 3 on: 12.7, 4.3, 3.2, 2.8, then toward 1.96.
        double t = n - 2 >= 30 ? 2.04 : new double[] {12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16,
                2.14, 2.13, 2.12, 2.11, 2.10, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05}[n - 3];
        double minutes = (measured.get(n - 1).seconds() - measured.get(0).seconds()) / 60.0;
        return new Slope(slope, t * standardError, my, minutes);
    }

    /** The verdict lines, and whether the soak passed. */
    List<String> verdict(List<String> firstErrors) {
        List<String> lines = new ArrayList<>();
        Sample last = samples.get(samples.size() - 1);
        int leaks = samples.stream().mapToInt(Sample::leaks).sum();
        long errors = last.errors().stream().mapToLong(Long::longValue).sum();
        Slope slope = heapSlope();
        lines.add(String.format(Locale.ROOT, "leaks reported by the paranoid detector: %d -> %s", leaks, leaks == 0 ? "PASS" : "FAIL"));
        lines.add(String.format(Locale.ROOT, "unexpected errors: %d -> %s", errors, errors == 0 ? "PASS" : "FAIL"));
        firstErrors.forEach(e -> lines.add("  " + e));
        lines.add(String.format(Locale.ROOT, "heap after GC over the last %.0f min: mean %.1f MiB, slope %+.2f MiB/h (95%% +/- %.2f), "
                + "fitted rise %+.2f MiB -> %s", slope.minutes(), slope.meanMib(), slope.mibPerHour(), slope.halfWidth95(),
                slope.mibPerHour() * slope.minutes() / 60, slope.withinNoise() ? "PASS (within noise)" : "FAIL (grows)"));
        boolean pass = leaks == 0 && errors == 0 && slope.withinNoise();
        lines.add("verdict: " + (pass ? "PASS" : "FAIL"));
        return lines;
    }

    /** The summary table: per load, what the server held at the end and at most, operations, errors, skipped ticks. */
    List<String> table() {
        List<String> rows = new ArrayList<>();
        Sample last = samples.get(samples.size() - 1);
        double minutes = last.seconds() / 60.0;
        rows.add("| load | live at end | live max | operations | per second | errors | skipped ticks | server counters |");
        rows.add("|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < loads.size(); i++) {
            int index = i;
            int max = samples.stream().mapToInt(s -> s.live().get(index)).max().orElse(0);
            StringBuilder counters = new StringBuilder();
            last.counters().get(i).forEach((k, v) -> counters.append(counters.length() == 0 ? "" : ", ").append(k).append(' ')
                    .append(String.format(Locale.ROOT, "%,d", v)));
            rows.add(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %.0f | %d | %d | %s |", loads.get(i), last.live().get(i), max,
                    last.operations().get(i), last.operations().get(i) / (minutes * 60), last.errors().get(i), last.skipped().get(i),
                    counters.length() == 0 ? "-" : counters));
        }
        return rows;
    }

    // ---- chart -----------------------------------------------------------------------------

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    private static final int WIDTH = 960;
    private static final int PANEL = 260;
    private static final int LEFT = 70;
    private static final int RIGHT = 190;

    /** Two panels over the same time axis: heap after GC and direct memory (MiB); live sessions per load (log scale). */
    void writeChart(Path file, String title) throws IOException {
        StringBuilder svg = new StringBuilder();
        int height = 2 * PANEL + 120;
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                + "font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT, escape(title)));
        double maxMinutes = Math.max(1, samples.get(samples.size() - 1).seconds() / 60.0);
        double maxHeap = samples.stream().mapToDouble(s -> Math.max(s.heapMib(), s.directMib())).max().orElse(1) * 1.15;
        int top1 = 40;
        int top2 = top1 + PANEL + 40;
        axes(svg, top1, maxMinutes, 0, maxHeap, false, "MiB");
        line(svg, top1, maxMinutes, 0, maxHeap, false, samples.stream().map(s -> new double[] {s.seconds() / 60.0, s.heapMib()}).toList(),
                COLOURS[0], "heap after GC", 0);
        line(svg, top1, maxMinutes, 0, maxHeap, false, samples.stream().map(s -> new double[] {s.seconds() / 60.0, s.directMib()}).toList(),
                COLOURS[1], "direct (Netty)", 1);
        double maxLive = samples.stream().flatMap(s -> s.live().stream()).mapToInt(Integer::intValue).max().orElse(1);
        double logMax = Math.ceil(Math.log10(Math.max(10, maxLive * 1.5)));
        axes(svg, top2, maxMinutes, 0, logMax, true, "live (log)");
        for (int i = 0; i < loads.size(); i++) {
            int index = i;
            line(svg, top2, maxMinutes, 0, logMax, true, samples.stream()
                    .map(s -> new double[] {s.seconds() / 60.0, Math.log10(Math.max(1, s.live().get(index)))}).toList(), COLOURS[i % COLOURS.length],
                    loads.get(i), i);
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">minutes since the loads started</text>%n",
                LEFT + (WIDTH - LEFT - RIGHT) / 2, height - 8));
        svg.append("</svg>\n");
        Files.writeString(file, svg, StandardCharsets.UTF_8);
    }

    private static void axes(StringBuilder svg, int top, double maxX, double minY, double maxY, boolean log, String label) {
        int w = WIDTH - LEFT - RIGHT;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", LEFT, top, w, PANEL));
        for (int k = 0; k <= 5; k++) {
            double y = minY + (maxY - minY) * k / 5;
            int py = top + PANEL - (int) Math.round(PANEL * k / 5.0);
            String text = log ? String.format(Locale.ROOT, "%,.0f", Math.pow(10, y)) : String.format(Locale.ROOT, "%.0f", y);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT, py, LEFT + w, py, LEFT - 6, py + 4, text));
        }
        for (int k = 0; k <= 6; k++) {
            int px = LEFT + (int) Math.round(w * k / 6.0);
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, top + PANEL + 16,
                    String.format(Locale.ROOT, maxX < 12 ? "%.1f" : "%.0f", maxX * k / 6)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>%n",
                top + PANEL / 2, top + PANEL / 2, label));
    }

    private static void line(StringBuilder svg, int top, double maxX, double minY, double maxY, boolean log, List<double[]> points, String colour,
                             String name, int legendRow) {
        int w = WIDTH - LEFT - RIGHT;
        StringBuilder d = new StringBuilder();
        for (double[] p : points) {
            double px = LEFT + w * p[0] / maxX;
            double py = top + PANEL - PANEL * (p[1] - minY) / (maxY - minY);
            d.append(d.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
        }
        svg.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", d, colour));
        int ly = top + 14 + legendRow * 18;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
                + "<text x=\"%d\" y=\"%d\">%s</text>%n", WIDTH - RIGHT + 12, ly - 4, WIDTH - RIGHT + 32, ly - 4, colour, WIDTH - RIGHT + 38, ly,
                escape(name)));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
