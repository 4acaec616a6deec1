package io.sluice.flood;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapSession;
import io.sluice.dtls.session.DtlsClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * A CoAP server under the floods a spoofing sender on the internet can aim at it, run for real on
 * loopback: the server in a JVM of its own with a 128 MB heap ({@link FloodedServerProcess}),
 * distinct source addresses from 127.0.0.0/8, and a legitimate client that must keep being served
 * throughout. Each test prints what it measured. {@code -Dflood.peers=N} changes the flood's size
 * (default one million distinct address/port pairs).
 */
class HostileLoadTest {

    private static final int PEERS = Integer.getInteger("flood.peers", 1_000_000);
    /** Datagrams per second the flood is paced to: above what the server answers, below what loopback loses outright. */
    private static final int FLOOD_RATE = Integer.getInteger("flood.rate", 30_000);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aMillionSpoofedPeersLeaveTheHeapBoundedAndALegitimateClientServed() throws Exception {
        try (FloodedServerProcess server = new FloodedServerProcess("coap")) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port);
            CoapSession session = CoapClient.create().connect("coap://127.0.0.1:" + server.port).block(WAIT);
            Legitimate legitimate = new Legitimate(() -> session.request(CoapRequest.get("/hello")).block(WAIT));
            long started = System.nanoTime();
            try {
                // Half CON (a server session each, until the caps say otherwise), half NON (none).
                flood(PEERS, i -> coapGet(i, i % 2 == 0), to);
            } finally {
                legitimate.stop();
                session.release();
            }
            Map<String, Long> stats = server.stats();
            report("CoAP/UDP", PEERS, started, legitimate, stats);
            assertThat(legitimate.failures).isEmpty();
            assertThat(legitimate.latencies.size()).isGreaterThan(10);
            assertThat(stats.get("sessions")).isLessThanOrEqualTo(io.sluice.coap.CoapServer.DEFAULT_MAX_IDLE_SESSIONS + 1L);
            assertThat(stats.get("evicted")).isPositive();
            assertThat(stats.get("heap")).isLessThan(64L << 20);
        }
    }

    /**
     * Connections to a CoAP-over-TCP server from 2,540 source addresses, opened as fast as the
     * attacker can and held (up to 12,000 at a time, older ones closed to make way), half of them
     * sending their CSM and then falling silent, half never sending one; two legitimate clients, one
     * connected before the flood and one during it, must be served throughout. The server runs with
     * its default caps (50,000 sessions, 10,000 idle): past them each new connection takes the place
     * of a silent one.
     */
    @Test
    void aTcpConnectionFloodIsCappedAndLegitimateClientsAreServed() throws Exception {
        int connections = Integer.getInteger("flood.connections", 100_000);
        try (FloodedServerProcess server = new FloodedServerProcess("coap+tcp")) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port);
            String uri = "coap+tcp://127.0.0.1:" + server.port;
            CoapSession early = CoapClient.create().connect(uri).block(WAIT);
            Legitimate legitimate = new Legitimate(() -> early.request(CoapRequest.get("/hello")).block(WAIT));
            long started = System.nanoTime();
            long opened;
            String lateAnswer;
            Map<String, Long> during;
            try {
                AtomicBoolean halfway = new AtomicBoolean();
                Thread attacker = new Thread(() -> connectionFlood(to, connections, 12_000, halfway), "connection-flood");
                attacker.start();
                while (!halfway.get() && attacker.isAlive()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                CoapSession late = CoapClient.create().connect(uri).block(WAIT);
                try {
                    lateAnswer = late.request(CoapRequest.get("/hello")).block(WAIT).bodyText();
                } finally {
                    late.release();
                }
                during = server.stats(); // with the flood's connections held
                attacker.join(TimeUnit.MINUTES.toMillis(5));
                opened = connectionsOpened.get();
            } finally {
                legitimate.stop();
            }
            Map<String, Long> stats = server.stats();
            assertThat(legitimate.failures).as("the early client's requests").isEmpty();
            early.release();
            report("CoAP/TCP connections", (int) opened, started, legitimate, stats);
            System.out.printf("halfway through, with the flood's connections held: server heap after GC %.1f MB, sessions %d, idle %d,"
                    + " evicted %d, refused %d%n", during.get("heap") / 1048576.0, during.get("sessions"), during.get("idle"),
                    during.get("evicted"), during.get("refused"));
            assertThat(opened).isEqualTo(connections);
            // The caps are checked on each event loop without a lock: accepts racing on several loops can
            // pass them together, so the count may stand a little above the cap, never far.
            assertThat(during.get("sessions")).isLessThanOrEqualTo(io.sluice.coap.CoapServer.DEFAULT_MAX_IDLE_SESSIONS + 64L);
            assertThat(during.get("heap")).isLessThan(96L << 20);
            assertThat(lateAnswer).isEqualTo("hello");
            assertThat(legitimate.failures).isEmpty();
            assertThat(legitimate.latencies.size()).isGreaterThan(10);
            assertThat(stats.get("evicted")).isPositive();
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong connectionsOpened = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Opens {@code total} connections from 127.3.0.0/16, holding at most {@code open} (the oldest is
     * closed to make way); every other one sends a CSM and nothing more. Never reads.
     */
    private static void connectionFlood(InetSocketAddress to, int total, int open, AtomicBoolean halfway) {
        io.netty.buffer.ByteBuf frame = io.netty.buffer.Unpooled.buffer();
        io.sluice.codec.coap.CoapReliableCodec.TCP.encode(io.sluice.codec.coap.CoapSignals.csm(1152, false), frame);
        byte[] csm = new byte[frame.readableBytes()];
        frame.readBytes(csm);
        frame.release();
        java.util.ArrayDeque<java.nio.channels.SocketChannel> held = new java.util.ArrayDeque<>();
        connectionsOpened.set(0);
        try {
            for (int i = 0; i < total; i++) {
                java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
                ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0); // closed with a reset: no TIME_WAIT pile-up
                ch.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 3, (byte) (i / 254 % 10), (byte) (i % 254 + 1)}), 0));
                ch.connect(to);
                if (i % 2 == 0) {
                    ch.write(java.nio.ByteBuffer.wrap(csm));
                }
                held.add(ch);
                if (held.size() > open) {
                    held.poll().close();
                }
                connectionsOpened.incrementAndGet();
                if (i == total / 2) {
                    halfway.set(true);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            halfway.set(true);
            for (java.nio.channels.SocketChannel ch : held) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing what the flood held
                }
            }
        }
    }

    /**
     * ClientHellos from a million spoofed peers, without a cookie or with a forged one: the
     * server's cookie exchange (RFC 6347 §4.2.1) is stateless, so neither kind makes it keep
     * anything; a forged cookie fails the check and is dropped, a missing one earns a
     * HelloVerifyRequest that goes to the spoofed address and nothing more.
     */
    @Test
    void spoofedClientHellosCostTheDtlsServerNoStateAndALegitimateClientIsStillServed() throws Exception {
        try (FloodedServerProcess server = new FloodedServerProcess("coaps")) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port);
            Legitimate legitimate = new Legitimate(() -> securedGet(server.port));
            long started = System.nanoTime();
            try {
                byte[] random = new byte[32];
                byte[] forged = new byte[32];
                flood(PEERS, i -> ClientHellos.record(random, i % 2 == 0 ? new byte[0] : forged, i % 2), to);
            } finally {
                legitimate.stop();
            }
            Map<String, Long> stats = server.stats();
            report("CoAP/DTLS hellos", PEERS, started, legitimate, stats);
            // Each try is a whole handshake and request; under the flood a try can lose every
            // retransmission of one flight to the full socket buffer (as in 1 of 586 once), which
            // a client meets by trying again: 99 of 100 must get through at the first go.
            assertThat(legitimate.latencies.size()).isGreaterThan(3);
            assertThat(legitimate.failures.size()).isLessThanOrEqualTo(legitimate.latencies.size() / 100);
            assertThat(stats.get("sessions")).isLessThanOrEqualTo(1L);
            assertThat(stats.get("heap")).isLessThan(64L << 20);
        }
    }

    /**
     * Clients from 300 addresses complete the cookie exchange honestly and then fall silent, again
     * and again, so that every handshake place is always taken by one of them; legitimate clients
     * must still get through. (Before the second-flight timeout and the eviction of stalled
     * handshakes, 64 such handshakes held every place for the 10 s handshake timeout.)
     */
    @Test
    void legitimateClientsAreServedWhileStalledHandshakesFillEveryPlace() throws Exception {
        try (FloodedServerProcess server = new FloodedServerProcess("coaps")) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port);
            AtomicBoolean attacking = new AtomicBoolean(true);
            long[] stalled = new long[1];
            Thread attacker = new Thread(() -> stalled[0] = stallHandshakes(to, 300, attacking), "stalling-attacker");
            attacker.start();
            // Sluice's client, and libcoap's coap-client (OpenSSL) as in the report, where installed.
            boolean libcoap = onPath("coap-client-openssl");
            int tries = libcoap ? 18 : 12;
            int served = 0;
            List<Long> latencies = new ArrayList<>();
            try {
                awaitStalled(stalled, 2 * io.sluice.dtls.session.DtlsServer.DEFAULT_MAX_HANDSHAKES);
                for (int i = 0; i < tries; i++) {
                    long t0 = System.nanoTime();
                    try {
                        if (libcoap && i % 3 == 2) {
                            libcoapGet(server.port);
                        } else {
                            securedGet(server.port);
                        }
                        served++;
                        latencies.add(System.nanoTime() - t0);
                    } catch (RuntimeException | IOException e) {
                        System.out.println("legitimate try " + i + " failed: " + e);
                    }
                }
            } finally {
                attacking.set(false);
                attacker.join(TimeUnit.SECONDS.toMillis(30));
            }
            Collections.sort(latencies);
            System.out.printf("%nstalled handshakes: %d cookie exchanges completed and abandoned by 300 addresses; legitimate %d/%d served,"
                    + " median %.1f ms, worst %.1f ms%n", stalled[0], served, tries,
                    latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2) / 1e6,
                    latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1) / 1e6);
            assertThat(stalled[0]).isGreaterThan(2L * io.sluice.dtls.session.DtlsServer.DEFAULT_MAX_HANDSHAKES);
            assertThat(served).isEqualTo(tries);
        }
    }

    // ------------------------------------------------------------------------------------ parts

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static void libcoapGet(int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("coap-client-openssl", "-B", "20", "-u", FloodedServer.IDENTITY, "-k",
                new String(FloodedServer.KEY, java.nio.charset.StandardCharsets.UTF_8), "coaps://127.0.0.1:" + port + "/hello")
                .redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("coap-client-openssl did not finish in 30 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!out.contains("hello")) {
            throw new IOException("coap-client-openssl got no answer: " + out);
        }
    }

    private static void securedGet(int port) {
        CoapSession s = CoapClient.create().dtls(DtlsClient.psk(FloodedServer.IDENTITY, FloodedServer.KEY))
                .connect("coaps://127.0.0.1:" + port).block(WAIT);
        try {
            CoapResponse r = s.request(CoapRequest.get("/hello")).block(WAIT);
            assertThat(r.bodyText()).isEqualTo("hello");
        } finally {
            s.release();
        }
    }

    /**
     * The i-th spoofed source address from 127.{base}.0.1 onwards, 254 to a /24 (host parts 0 and 255
     * are skipped: the JDK refuses to send from an address ending in 255).
     */
    private static InetAddress spoofed(int base, int i) throws IOException {
        int block = i / 254;
        return InetAddress.getByAddress(new byte[] {127, (byte) (base + (block >>> 8)), (byte) block, (byte) (1 + i % 254)});
    }

    private static void flood(int peers, IntFunction<byte[]> datagram, InetSocketAddress to) throws IOException {
        long interval = TimeUnit.SECONDS.toNanos(1) / FLOOD_RATE;
        long next = System.nanoTime();
        for (int i = 0; i < peers; i++) {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.bind(new InetSocketAddress(spoofed(1, i), 0));
                channel.send(ByteBuffer.wrap(datagram.apply(i)), to);
            }
            next += interval;
            long ahead = next - System.nanoTime();
            if (ahead > 1_000_000) {
                LockSupport.parkNanos(ahead);
            }
        }
    }

    private static byte[] coapGet(int i, boolean confirmable) {
        // ver 1, CON or NON, TKL 2; GET; message ID; token; Uri-Path "hello" (option 11, length 5).
        return new byte[] {(byte) (confirmable ? 0x42 : 0x52), 0x01, (byte) (i >>> 8), (byte) i, (byte) (i >>> 16), (byte) i,
                (byte) 0xB5, 'h', 'e', 'l', 'l', 'o'};
    }

    /**
     * Completes cookie exchanges from {@code addresses} loopback addresses in turn and abandons each
     * handshake after the server's flight, until told to stop.
     *
     * @return how many handshakes it left stalled
     */
    private static long stallHandshakes(InetSocketAddress to, int addresses, AtomicBoolean attacking) {
        long count = 0;
        byte[] buffer = new byte[2048];
        for (int i = 0; attacking.get(); i = (i + 1) % addresses) {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                channel.bind(new InetSocketAddress(spoofed(40, i), 0));
                channel.socket().setSoTimeout(1000);
                byte[] random = new byte[32];
                ThreadLocalRandom.current().nextBytes(random);
                channel.send(ByteBuffer.wrap(ClientHellos.record(random, new byte[0], 0)), to);
                java.net.DatagramPacket answer = new java.net.DatagramPacket(buffer, buffer.length);
                channel.socket().receive(answer);
                byte[] cookie = ClientHellos.cookieOf(buffer, answer.getLength());
                if (cookie == null) {
                    continue;
                }
                channel.send(ByteBuffer.wrap(ClientHellos.record(random, cookie, 1)), to);
                count++;
                synchronized (HostileLoadTest.class) {
                    HostileLoadTest.class.notifyAll();
                }
            } catch (IOException e) {
                // a lost HelloVerifyRequest: the next address tries
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return count;
    }

    private static void awaitStalled(long[] stalled, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (HostileLoadTest.class) {
            while (stalled[0] < atLeast && System.nanoTime() < deadline) {
                HostileLoadTest.class.wait(1000);
            }
        }
    }

    private static void report(String what, int peers, long started, Legitimate legitimate, Map<String, Long> stats) {
        List<Long> l = new ArrayList<>(legitimate.latencies);
        Collections.sort(l);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("%n%s flood: %,d distinct source address/port pairs in %.1f s; legitimate requests %d ok, %d failed,"
                        + " p50 %.2f ms, p99 %.2f ms; server heap after GC %.1f MB of %d MB, sessions %d, evicted %d, refused %d%n",
                what, peers, seconds, l.size(), legitimate.failures.size(), percentile(l, 0.50), percentile(l, 0.99),
                stats.get("heap") / 1048576.0, stats.get("max") >> 20, stats.get("sessions"), stats.get("evicted"), stats.get("refused"));
    }

    private static double percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p))) / 1e6;
    }

    /** A legitimate client making one request after another on its own thread while the flood runs. */
    private static final class Legitimate {
        final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Legitimate(Runnable request) {
            thread = new Thread(() -> {
                while (running.get()) {
                    long t0 = System.nanoTime();
                    try {
                        request.run();
                        latencies.add(System.nanoTime() - t0);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            }, "legitimate-client");
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
    }
}
