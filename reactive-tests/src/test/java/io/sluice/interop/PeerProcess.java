package io.sluice.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An independent peer running as a process ({@code openssl s_client}/{@code s_server}, libcoap's
 * {@code coap-client}/{@code coap-server}): its output lines are collected by a reader thread, and
 * the test waits for a line or for the exit, with a timeout (no sleeps).
 */
final class PeerProcess implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static final String END = "\u0000<<end of output>>";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final OutputStream stdin;

    private PeerProcess(List<String> command) throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        stdin = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
                lines.add(END);
            } catch (IOException e) {
                lines.add("<<read failed: " + e + ">>");
            }
        }, "peer-output");
        reader.setDaemon(true);
        reader.start();
    }

    static PeerProcess start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        return new PeerProcess(command);
    }

    /**
     * Runs a program to its end and returns its output, failing the test unless it exits with 0.
     *
     * @param command the program and its arguments
     * @return what it printed (standard output and error)
     */
    static String runToSuccess(String... command) throws IOException, InterruptedException {
        PeerProcess p = exec(command);
        try {
            String out = p.awaitExit();
            org.assertj.core.api.Assertions.assertThat(p.exitValue()).as("exit of %s, output:%n%s", String.join(" ", command), out).isZero();
            return out;
        } finally {
            p.close();
        }
    }

    /** Starts any program (the first argument) with its arguments. */
    static PeerProcess exec(String... command) throws IOException {
        return new PeerProcess(List.of(command));
    }

    /**
     * Waits for the process to end and returns everything it printed.
     *
     * @return the output lines joined by newlines
     */
    String awaitExit() throws InterruptedException {
        if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("the process did not end within " + TIMEOUT + "; it printed:\n" + String.join("\n", seen));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        // The reader thread drains the pipe after the exit; the end of the stream arrives as its last line.
        for (String line; (line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
            if (line.equals(END)) {
                break;
            }
            seen.add(line);
        }
        return String.join("\n", seen);
    }

    /** @return the exit code, once {@link #awaitExit()} returned */
    int exitValue() {
        return process.exitValue();
    }

    /** Waits for a line containing {@code text}; fails with everything seen if it does not come. */
    String await(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (;;) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError("the peer did not print '" + text + "' within " + TIMEOUT + "; it printed:\n"
                        + String.join("\n", seen) + (process.isAlive() ? "" : "\n(exited " + process.exitValue() + ")"));
            }
            if (line.equals(END)) {
                throw new AssertionError("the peer ended without printing '" + text + "'; it printed:\n" + String.join("\n", seen));
            }
            seen.add(line);
            if (line.contains(text)) {
                return line;
            }
        }
    }

    /** Sends a line to the process's standard input (s_client/s_server send it as a record). */
    void println(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** A UDP port that was free a moment ago on loopback, for an openssl server to take. */
    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
