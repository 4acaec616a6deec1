package io.sluice.flood;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** {@link FloodedServer} in a JVM of its own with a 128 MB heap, and its answers read with timeouts. */
final class FloodedServerProcess implements AutoCloseable {

    static final String HEAP = "-Xmx128m";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final OutputStream commands;
    final int port;

    FloodedServerProcess(String mode) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(java, HEAP, "-cp", System.getProperty("java.class.path"), FloodedServer.class.getName(), mode)
                .redirectErrorStream(true).start();
        commands = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        }, "flooded-server-output");
        reader.setDaemon(true);
        reader.start();
        port = Integer.parseInt(await("PORT ").substring(5).trim());
    }

    /** @return the heap after a full collection and the server's counters */
    Map<String, Long> stats() throws IOException, InterruptedException {
        commands.write("stats\n".getBytes(StandardCharsets.US_ASCII));
        commands.flush();
        Map<String, Long> values = new HashMap<>();
        for (String pair : await("STATS ").substring(6).split(" ")) {
            String[] kv = pair.split("=");
            values.put(kv[0], Long.parseLong(kv[1]));
        }
        return values;
    }

    private String await(String prefix) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("the flooded server did not print " + prefix + " in time; it printed:\n" + seen);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
            seen.append(line).append('\n');
        }
    }

    @Override
    public void close() throws IOException {
        try {
            commands.write("quit\n".getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        } catch (IOException gone) {
            // it ended already
        }
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
