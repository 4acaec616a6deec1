package io.sluice.codec.fuzz;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs each fuzz target of a module under Jazzer's coverage-guided fuzzer for a number of
 * executions, each in a JVM of its own, and prints a table: target, executions, seconds, coverage
 * (edges reached in Sluice's classes), features, corpus size, findings.
 *
 * <p>A module's targets are the nested classes of its suite ({@code fuzz.suite}, set in the
 * module's pom: {@link FuzzTargets} here) that have a static {@code fuzzerTestOneInput(byte[])};
 * a target's name is its class name with a lower-case initial, which is also the name of the
 * JUnit {@code @FuzzTest} method that replays it and of its input folder under
 * {@code src/test/resources/<fuzz.inputs>/}. Coverage is measured in the classes {@code fuzz.instrument}
 * names (Sluice's; the dtls module adds BouncyCastle's, whose PEM and ASN.1 parsers its targets
 * reach; the JDK's own classes, such as its PKCS#12 parser, cannot be instrumented). The corpus starts from the committed inputs and grows
 * under {@code target/fuzz/corpus/<target>}; a finding is written to
 * {@code target/fuzz/findings/<target>/} and ends that target's run (commit it, as a regression
 * input, beside the others).
 *
 * <pre>
 * mvn -B -q -pl codecs,sdk,dtls,samples -am -DskipTests package exec:java -Dfuzz [-Dfuzz.runs=10000000] [-Dfuzz.seconds=1800] [-Dfuzz.targets=coapUdp,sasl]
 * </pre>
 *
 * <p>{@code -Dfuzz.seconds} bounds each target's time as well (0, the default, does not): a run
 * ends at whichever limit comes first.
 *
 * <p>{@code -Dfuzz.targets} picks targets by name across the modules; a module none of whose
 * targets is named runs nothing.
 */
public final class FuzzRun {

    private static final Pattern DONE = Pattern.compile("#(\\d+)\\s+DONE\\s+cov: (\\d+) ft: (\\d+) corp: (\\d+)/");
    private static final Pattern LAST = Pattern.compile("#(\\d+)\\s+\\S+\\s+cov: (\\d+) ft: (\\d+) corp: (\\d+)/");
    private static final Pattern SECONDS = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    private FuzzRun() {
    }

    public static void main(String[] args) throws Exception {
        long runs = Long.getLong("fuzz.runs", 10_000_000L);
        Path home = Path.of(System.getProperty("fuzz.home", "codecs"));
        Map<String, Class<?>> targets = targets(Class.forName(System.getProperty("fuzz.suite", FuzzTargets.class.getName())));
        List<String> names = new ArrayList<>(targets.keySet());
        String only = System.getProperty("fuzz.targets", "");
        if (!only.isBlank()) {
            names.retainAll(List.of(only.split(",")));
            if (names.isEmpty()) {
                System.out.println("none of " + only + " is among " + home.getFileName() + "'s fuzz targets " + targets.keySet());
                return;
            }
        }
        Path inputs = home.resolve("src/test/resources").resolve(System.getProperty("fuzz.inputs", "io/sluice/codec/fuzz/CodecFuzzTestInputs"));
        List<String> rows = new ArrayList<>();
        for (String name : names) {
            Outcome o = fuzz(name, targets.get(name), inputs, home.resolve("target").resolve("fuzz"), runs, Long.getLong("fuzz.seconds", 0),
                    System.getProperty("fuzz.instrument", "io.sluice.**"), -1);
            rows.add(o.row());
            System.out.println(o.row());
        }
        System.out.println();
        System.out.println(home.getFileName() + ": Jazzer " + System.getProperty("fuzz.jazzer", "0.24.0") + ", " + runs + " runs per target, "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.println("| target | executions | seconds | coverage (edges) | features | corpus | findings |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    /**
     * How one target's run went.
     *
     * @param exit the fuzzer's exit status (0 when it ran to its limit without a finding)
     * @param log the fuzzer's output
     */
    public record Outcome(String name, long executions, long seconds, String coverage, String features, String corpus, long findings, int exit,
                          Path log) {
        String row() {
            return String.format(Locale.ROOT, "| %s | %,d | %d | %s | %s | %s | %d%s |", name, executions, seconds, coverage, features, corpus,
                    findings, exit == 0 ? "" : " (exit " + exit + ", see " + log + ")");
        }
    }

    /**
     * Fuzzes every target of a suite briefly from its committed inputs, as {@code mvn verify} does:
     * a fixed seed and count, each target in a JVM of its own. Call it from a module's tests
     * (their working directory is the module).
     *
     * @param suite the suite class
     * @param inputs the input folder under {@code src/test/resources}
     * @param runs executions per target
     * @param instrument what to measure coverage in, comma-separated
     * @return each target's outcome
     * @throws Exception if the fuzzer cannot be started
     */
    public static List<Outcome> briefly(Class<?> suite, String inputs, long runs, String instrument) throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, Class<?>> t : targets(suite).entrySet()) {
            outcomes.add(fuzz(t.getKey(), t.getValue(), Path.of("src/test/resources").resolve(inputs), Path.of("target", "fuzz-brief"), runs, 0,
                    instrument, 1));
        }
        return outcomes;
    }

    /**
     * Runs one target under the standalone fuzzer: the corpus starts from the committed inputs and
     * grows under {@code base/corpus/<name>}, findings land in {@code base/findings/<name>}.
     *
     * @param seed the fuzzer's random seed, or -1 for its own choice
     */
    static Outcome fuzz(String name, Class<?> target, Path inputs, Path base, long runs, long seconds, String instrument, long seed)
            throws IOException, InterruptedException {
        Path corpus = Files.createDirectories(base.resolve("corpus").resolve(name));
        Path findings = Files.createDirectories(base.resolve("findings").resolve(name));
        if (Files.isDirectory(inputs.resolve(name))) {
            try (Stream<Path> seeds = Files.list(inputs.resolve(name))) {
                for (Path input : (Iterable<Path>) seeds::iterator) {
                    Files.copy(input, corpus.resolve("seed-" + input.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path log = base.resolve(name + ".log");
        long started = System.currentTimeMillis() - 1000;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
                classpath(), "com.code_intelligence.jazzer.Jazzer", "--target_class=" + target.getName(),
                "--instrumentation_includes=" + String.join(File.pathSeparator, instrument.split(",")),
                "--reproducer_path=" + findings.toAbsolutePath(), "-runs=" + runs, "-max_total_time=" + seconds, "-rss_limit_mb=4096",
                // An input that takes this long is a finding too: a peer could send it.
                "-timeout=" + Integer.getInteger("fuzz.timeout", 20), "-artifact_prefix=" + findings.toAbsolutePath() + File.separator));
        if (seed >= 0) {
            command.add("-seed=" + seed);
        }
        command.add(corpus.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int exit = p.waitFor();
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        long executions = 0;
        long took = 0;
        String cov = "?";
        String ft = "?";
        String corp = "?";
        // The DONE line of a finished run, or else the last status line before a finding ended it.
        Matcher m = DONE.matcher(out);
        java.util.regex.MatchResult status = m.find() ? m.toMatchResult() : null;
        if (status == null) {
            Matcher last = LAST.matcher(out);
            while (last.find()) {
                status = last.toMatchResult();
            }
        }
        if (status != null) {
            executions = Long.parseLong(status.group(1));
            cov = status.group(2);
            ft = status.group(3);
            corp = status.group(4);
        }
        Matcher s = SECONDS.matcher(out);
        if (s.find()) {
            took = Long.parseLong(s.group(2));
        }
        long found;
        try (Stream<Path> f = Files.list(findings)) {
            // This run's inputs only (the fuzzer also writes a .java reproducer beside each).
            found = f.filter(x -> !x.toString().endsWith(".java") && x.toFile().lastModified() >= started).count();
        }
        return new Outcome(name, executions, took, cov, ft, corp, found, exit, log);
    }

    /** The suite's nested classes with a static {@code fuzzerTestOneInput(byte[])}, by target name, sorted. */
    static Map<String, Class<?>> targets(Class<?> suite) {
        Map<String, Class<?>> targets = new java.util.TreeMap<>();
        for (Class<?> nested : suite.getDeclaredClasses()) {
            try {
                if (java.lang.reflect.Modifier.isStatic(nested.getMethod("fuzzerTestOneInput", byte[].class).getModifiers())) {
                    String simple = nested.getSimpleName();
                    targets.put(Character.toLowerCase(simple.charAt(0)) + simple.substring(1), nested);
                }
            } catch (NoSuchMethodException e) {
                // not a target
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException(suite.getName() + " has no nested class with a static fuzzerTestOneInput(byte[])");
        }
        return targets;
    }

    private static String classpath() {
        if (FuzzRun.class.getClassLoader() instanceof URLClassLoader loader && loader.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalStateException(e);
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }
}
