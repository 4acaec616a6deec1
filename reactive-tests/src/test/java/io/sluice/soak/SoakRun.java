package io.sluice.soak;

import io.netty.util.internal.PlatformDependent;
import io.sluice.testing.LeakTracking;
import java.io.PrintWriter;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import reactor.core.publisher.Flux;

/**
 * The soak: all five families at once in this JVM, with Netty's paranoid leak detector, for
 * {@code soak.minutes} (default 30):
 * <ul>
 *   <li>CoAP over UDP: 10,000 peers, 1,000 requests/s, 20 peers/s replaced, server idle timeout 20 s (the
 *       server's expired, evicted and refused counts are sampled too);</li>
 *   <li>CoAP over DTLS (PSK): 1,000 peers, 200 requests/s, 2 peers/s replaced (each a new handshake);</li>
 *   <li>peers over TCP: 200 connections, 200 unary calls/s and 50 streams/s cancelled after 8 elements, one disconnect a second;</li>
 *   <li>ICE over a UNIX socket: 5 connections/s opened, pinged three times and closed with negotiation;</li>
 *   <li>messaging: 2 SCRAM-SHA-256 logins/s with a call each, one wrong password every 10 s.</li>
 * </ul>
 * Every {@code soak.sample} seconds (default 60) it collects garbage, takes the leaks the detector
 * reported, and samples heap after GC, direct memory, threads, what each server holds, operations,
 * errors and skipped ticks into {@code soak.csv}; at the end it writes {@code soak.svg} (heap and
 * sessions over time) and {@code soak.md} (table and verdict) to {@code soak.out} (default
 * {@code reactive-tests/target/soak}) and prints them. The verdict passes when no leak was reported, no
 * load saw an error it did not cause, and the heap's slope after the warm-up ({@code soak.warmup}
 * minutes, default a sixth of the run) is within noise (see {@link SoakReport}).
 *
 * <pre>
 * mvn -B -q -DskipTests package exec:java -pl reactive-tests -am -Dbench=soak [-Dsoak.minutes=30] [-Dsoak.out=docs/soak]
 * </pre>
 */
public final class SoakRun {

    private SoakRun() {
    }

    public static void run() throws Exception {
        LeakTracking.install();
        long minutes = Long.getLong("soak.minutes", 30);
        Duration every = Duration.ofSeconds(Long.getLong("soak.sample", 60));
        long warmup = Long.getLong("soak.warmup", Math.max(1, minutes / 6));
        Path out = Path.of(System.getProperty("soak.out", Files.isDirectory(Path.of("reactive-tests")) ? "reactive-tests/target/soak" : "target/soak"));
        Files.createDirectories(out);
        List<SoakLoad> loads = List.of(
                new CoapChurnLoad(false, Integer.getInteger("soak.udp.peers", 10_000), 1_000, 20, Duration.ofSeconds(20)),
                new CoapChurnLoad(true, Integer.getInteger("soak.dtls.peers", 1_000), 200, 2, Duration.ofSeconds(20)),
                new PeerLoad(Integer.getInteger("soak.peer.connections", 200)),
                new IceLoad(),
                new MessagingLoad());
        List<String> names = loads.stream().map(SoakLoad::name).toList();
        System.out.println("soak: starting " + names + " for " + minutes + " min, a sample every " + every.toSeconds() + " s");
        for (SoakLoad load : loads) {
            long started = System.nanoTime();
            load.start();
            System.out.println(String.format(Locale.ROOT, "soak: %s up in %.1f s, server holds %d", load.name(),
                    (System.nanoTime() - started) / 1e9, load.live()));
        }
        List<Sample> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        loads.forEach(SoakLoad::run);
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out.resolve("soak.csv"), StandardCharsets.UTF_8))) {
            csv.println(SoakReport.csvHeader(names, loads.stream().map(SoakLoad::counters).toList()));
            long count = Duration.ofMinutes(minutes).toNanos() / every.toNanos();
            // Reactor's timer paces the samples; this thread takes them one by one (a late one is skipped, not queued).
            for (Long tick : Flux.interval(every).onBackpressureDrop().take(count).toIterable(1)) {
                Sample s = sample((System.nanoTime() - t0) / 1_000_000_000L, loads);
                samples.add(s);
                csv.println(SoakReport.csvRow(s));
                csv.flush();
                System.out.println(String.format(Locale.ROOT, "soak: %5.1f min heap %.1f MiB direct %.1f MiB threads %d leaks %d live %s errors %s %s",
                        s.seconds() / 60.0, s.heapMib(), s.directMib(), s.threads(), s.leaks(), s.live(), s.errors(), s.counters()));
            }
        }
        for (SoakLoad load : loads) {
            int left = load.quiesce(Duration.ofSeconds(40));
            if (left > 0) {
                System.out.println("soak: " + load.name() + " still had " + left + " operations out when it stopped");
            }
        }
        List<String> errors = new ArrayList<>();
        loads.forEach(l -> errors.addAll(l.firstErrors()));
        for (SoakLoad load : loads) {
            load.close();
        }
        int leaksAtShutdown = LeakTracking.collectLeaks().size();

        SoakReport report = new SoakReport(names, samples, (int) warmup);
        String title = String.format(Locale.ROOT, "Sluice soak: %d min, %s, %d cores, %s %s, paranoid leak detection", minutes,
                Instant.now().toString().substring(0, 10), Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        report.writeChart(out.resolve("soak.svg"), title);
        List<String> md = new ArrayList<>();
        md.add(title);
        md.add("");
        md.addAll(report.table());
        md.add("");
        md.addAll(report.verdict(errors));
        md.add(md.size() - 1, "leaks reported after the servers closed: " + leaksAtShutdown);
        if (leaksAtShutdown > 0) {
            md.set(md.size() - 1, "verdict: FAIL");
        }
        Files.write(out.resolve("soak.md"), md, StandardCharsets.UTF_8);
        System.out.println();
        md.forEach(System.out::println);
        System.out.println("soak: wrote " + out.resolve("soak.csv") + ", " + out.resolve("soak.svg") + ", " + out.resolve("soak.md"));
    }

    private static Sample sample(long seconds, List<SoakLoad> loads) throws InterruptedException {
        int leaks = LeakTracking.collectLeaks().size();
        System.gc();
        double heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
        long direct = PlatformDependent.usedDirectMemory();
        if (direct < 0) {
            direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream().filter(b -> b.getName().equals("direct"))
                    .mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        }
        return new Sample(seconds, heap, direct / 1048576.0, ManagementFactory.getThreadMXBean().getThreadCount(),
                loads.stream().map(SoakLoad::live).toList(), loads.stream().map(SoakLoad::operations).toList(),
                loads.stream().map(SoakLoad::errors).toList(), loads.stream().map(SoakLoad::skipped).toList(), leaks,
                loads.stream().map(SoakLoad::counters).toList());
    }
}
