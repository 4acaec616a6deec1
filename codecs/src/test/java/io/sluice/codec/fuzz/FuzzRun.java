package io.sluice.codec.fuzz;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs each fuzz target under Jazzer's coverage-guided fuzzer for a number of executions, each in a
 * JVM of its own, and prints a table: target, executions, seconds, coverage (edges reached in
 * Sluice's classes), features, corpus size, findings. The corpus starts from the committed inputs
 * and grows under {@code codecs/target/fuzz/corpus/<target>}; a finding is written to
 * {@code codecs/target/fuzz/findings/<target>/} and ends that target's run (commit it, as a
 * regression input, beside the others under {@code src/test/resources/.../CodecFuzzTestInputs/}).
 *
 * <pre>
 * mvn -B -q -pl codecs -am -DskipTests test-compile exec:java -Dfuzz [-Dfuzz.runs=10000000] [-Dfuzz.targets=coapUdp,coapTcp]
 * </pre>
 */
public final class FuzzRun {

    /** Target name (the {@link CodecFuzzTest} method and input folder) to its standalone class. */
    static final Map<String, Class<?>> TARGETS = new LinkedHashMap<>();

    static {
        TARGETS.put("coapUdp", FuzzTargets.CoapUdp.class);
        TARGETS.put("coapTcp", FuzzTargets.CoapTcp.class);
        TARGETS.put("coapWebSocket", FuzzTargets.CoapWebSocket.class);
        TARGETS.put("coreLinkFormat", FuzzTargets.CoreLinkFormat.class);
        TARGETS.put("iceFrame", FuzzTargets.IceFrame.class);
        TARGETS.put("callFrame", FuzzTargets.CallFrame.class);
        TARGETS.put("streamFramer", FuzzTargets.StreamFramer.class);
    }

    private static final Pattern DONE = Pattern.compile("#(\\d+)\\s+DONE\\s+cov: (\\d+) ft: (\\d+) corp: (\\d+)/");
    private static final Pattern LAST = Pattern.compile("#(\\d+)\\s+\\S+\\s+cov: (\\d+) ft: (\\d+) corp: (\\d+)/");
    private static final Pattern SECONDS = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    private FuzzRun() {
    }

    public static void main(String[] args) throws Exception {
        long runs = Long.getLong("fuzz.runs", 10_000_000L);
        List<String> names = new ArrayList<>(TARGETS.keySet());
        String only = System.getProperty("fuzz.targets", "");
        if (!only.isBlank()) {
            names = List.of(only.split(","));
        }
        Path base = Path.of(System.getProperty("fuzz.dir", "codecs/target/fuzz"));
        Path inputs = Path.of(System.getProperty("fuzz.inputs", "codecs/src/test/resources/io/sluice/codec/fuzz/CodecFuzzTestInputs"));
        String classpath = classpath();
        List<String> rows = new ArrayList<>();
        for (String name : names) {
            Class<?> target = TARGETS.get(name);
            if (target == null) {
                throw new IllegalArgumentException("no fuzz target " + name + "; there are " + TARGETS.keySet());
            }
            Path corpus = Files.createDirectories(base.resolve("corpus").resolve(name));
            Path findings = Files.createDirectories(base.resolve("findings").resolve(name));
            if (Files.isDirectory(inputs.resolve(name))) {
                try (Stream<Path> seeds = Files.list(inputs.resolve(name))) {
                    for (Path seed : (Iterable<Path>) seeds::iterator) {
                        Files.copy(seed, corpus.resolve("seed-" + seed.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Path log = base.resolve(name + ".log");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp", classpath,
                    "com.code_intelligence.jazzer.Jazzer", "--target_class=" + target.getName(), "--instrumentation_includes=io.sluice.**",
                    "-runs=" + runs, "-rss_limit_mb=4096", "-artifact_prefix=" + findings.toAbsolutePath() + File.separator, corpus.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            int exit = p.waitFor();
            String out = Files.readString(log, StandardCharsets.ISO_8859_1);
            long executions = 0;
            long seconds = 0;
            String cov = "?";
            String ft = "?";
            String corp = "?";
            Matcher m = DONE.matcher(out);
            boolean done = m.find();
            if (!done) {
                Matcher last = LAST.matcher(out);
                while (last.find()) {
                    m = last;
                    done = true;
                }
            }
            if (done) {
                executions = Long.parseLong(m.group(1));
                cov = m.group(2);
                ft = m.group(3);
                corp = m.group(4);
            }
            Matcher s = SECONDS.matcher(out);
            if (s.find()) {
                seconds = Long.parseLong(s.group(2));
            }
            long found;
            try (Stream<Path> f = Files.list(findings)) {
                found = f.count();
            }
            rows.add(String.format(Locale.ROOT, "| %s | %,d | %d | %s | %s | %s | %d%s |", name, executions, seconds, cov, ft, corp, found,
                    exit == 0 ? "" : " (exit " + exit + ", see " + log + ")"));
            System.out.println(rows.get(rows.size() - 1));
        }
        System.out.println();
        System.out.println("Jazzer " + System.getProperty("fuzz.jazzer", "0.24.0") + ", " + runs + " runs per target, "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.println("| target | executions | seconds | coverage (edges) | features | corpus | findings |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
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
