package io.sluice.bench;

import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceListener;
import io.sluice.ice.LiveIceListener;
import io.sluice.ice.IceConnector;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * ICE ping round trips on loopback (UNIX socket), one ping at a time: libICE ⇄ libICE (both C,
 * built here with gcc) beside Sluice's originator ⇄ the same libICE acceptor, Sluice ⇄ Sluice, and
 * the libICE pinger ⇄ Sluice's acceptor.
 *
 * <p>Run: {@code mvn -B -q -DskipTests package exec:java -pl reactive-tests -am -Dbench=ice}
 */
final class IceBenchmark {

    private IceBenchmark() {
    }

    static void run(LoadRun.Settings settings) throws Exception {
        Path dir = Files.createTempDirectory("sluice-ice-bench");
        Path acceptorBinary = compile(dir, "ice_acceptor");
        Path pingerBinary = compile(dir, "ice_pinger");
        Process acceptor = new ProcessBuilder(acceptorBinary.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(acceptor.getInputStream(), StandardCharsets.UTF_8));
            String listen = out.readLine();
            if (listen == null || !listen.startsWith("LISTEN ")) {
                throw new IllegalStateException("the libICE acceptor did not start: " + listen);
            }
            String unix = List.of(listen.substring(7).split(",")).stream().filter(id -> id.startsWith("unix/")).findFirst().orElseThrow();
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // keep the pipe empty
                    }
                } catch (java.io.IOException ignored) {
                    // the acceptor ended
                }
            }, "ice-acceptor-output");
            drain.setDaemon(true);
            drain.start();

            double[] libice = pinger(pingerBinary, unix, settings);

            IceConnection connection = IceConnector.create().open(unix).block(Duration.ofSeconds(20));
            LoadRun.Result sluice = LoadRun.measureAll(List.of(new LoadRun.Scenario("Sluice -> libICE, ping", 1, connection::ping)),
                    settings).get(0);
            connection.dispose();

            // Sluice's acceptor, on a UNIX socket too: Sluice's originator, then libICE's.
            LiveIceListener listener = IceListener.create().unix(dir.resolve("sluice.sock")).hostBasedAuth(host -> true)
                    .bind().block(Duration.ofSeconds(20));
            listener.connections().subscribe();
            String sluiceId = listener.listenNetworkIds().get(0);
            IceConnection toSluice = IceConnector.create().authority(IceAuthority.empty()).open(sluiceId).block(Duration.ofSeconds(20));
            LoadRun.Result sluiceSluice = LoadRun.measureAll(List.of(new LoadRun.Scenario("Sluice -> Sluice, ping", 1, toSluice::ping)),
                    settings).get(0);
            toSluice.dispose();
            double[] libiceSluice = pinger(pingerBinary, sluiceId, settings);
            listener.dispose();

            System.out.println("ICE ping round trips over a UNIX socket, one at a time, median of " + settings.rounds() + " rounds of "
                    + settings.measure().toSeconds() + " s after " + settings.warmup().toSeconds() + " s warm-up, "
                    + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.version"));
            System.out.println(LoadRun.header());
            System.out.println(String.format(Locale.ROOT, "| %-28s | %9d | %12.0f | %9.1f | %9.1f |", "libICE -> libICE (C), ping", 1,
                    libice[0], libice[1], libice[2]));
            System.out.println(sluice.row());
            System.out.println(sluiceSluice.row());
            System.out.println(String.format(Locale.ROOT, "| %-28s | %9d | %12.0f | %9.1f | %9.1f |", "libICE -> Sluice, ping", 1,
                    libiceSluice[0], libiceSluice[1], libiceSluice[2]));
            System.out.println();
            System.out.println(String.format(Locale.ROOT, "latency against libICE -> libICE (target 1.2x): Sluice -> libICE p50 %.2fx p99 %.2fx; "
                    + "Sluice -> Sluice p50 %.2fx p99 %.2fx; libICE -> Sluice p50 %.2fx p99 %.2fx",
                    sluice.p50Nanos() / 1000.0 / libice[1], sluice.p99Nanos() / 1000.0 / libice[2],
                    sluiceSluice.p50Nanos() / 1000.0 / libice[1], sluiceSluice.p99Nanos() / 1000.0 / libice[2],
                    libiceSluice[1] / libice[1], libiceSluice[2] / libice[2]));
        } finally {
            acceptor.destroy();
            acceptor.waitFor(10, TimeUnit.SECONDS);
        }
    }


    /** @return the median round's pings per second, p50 and p99 in microseconds, of the C pinger against an ID */
    private static double[] pinger(Path pingerBinary, String networkId, LoadRun.Settings settings) throws Exception {
        java.util.List<double[]> rounds = new java.util.ArrayList<>();
        for (int round = 0; round < settings.rounds(); round++) {
            Process pinger = new ProcessBuilder(pingerBinary.toString(), networkId, Long.toString(settings.warmup().toSeconds()),
                    Long.toString(settings.measure().toSeconds())).redirectErrorStream(true).start();
            String line = new String(pinger.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            pinger.waitFor(60, TimeUnit.SECONDS);
            String[] f = line.split(" ");
            if (f.length != 5 || !f[0].equals("PINGS")) {
                throw new IllegalStateException("ice_pinger said: " + line);
            }
            double perSecond = Long.parseLong(f[1]) / Double.parseDouble(f[2]);
            rounds.add(new double[] {perSecond, Long.parseLong(f[3]) / 1000.0, Long.parseLong(f[4]) / 1000.0});
        }
        // The median round by rate, as LoadRun reports.
        rounds.sort((a, b) -> Double.compare(a[0], b[0]));
        return rounds.get(rounds.size() / 2);
    }

    private static Path compile(Path dir, String name) throws Exception {
        Path source = Path.of("src/test/c/" + name + ".c").toAbsolutePath();
        if (!Files.exists(source)) {
            source = Path.of("reactive-tests/src/test/c/" + name + ".c").toAbsolutePath();
        }
        Path binary = dir.resolve(name);
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString(), "-lICE").redirectErrorStream(true).start();
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
            throw new IllegalStateException("gcc " + name + ": " + output);
        }
        return binary;
    }
}
