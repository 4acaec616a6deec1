package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.PacketPipe;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsIdentity;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.DtlsTrust;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.testing.Await;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.DtlsEndpointContext;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * DTLS on loopback: full handshakes per second (PSK and ECDHE-ECDSA P-256), Sluice against
 * Scandium; application-data echo with 64 in flight at 64 and 1200 bytes for Sluice DTLS,
 * Scandium DTLS and plain UDP through the same harness; heap per idle established Sluice session.
 */
final class DtlsBenchmark {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final byte[] KEY = "bench-psk-012345".getBytes(StandardCharsets.US_ASCII);
    private static final int HANDSHAKES_IN_FLIGHT = 16;
    /**
     * ECDHE-ECDSA P-256 server handshakes per second one core of this machine can do at most, from
     * {@code openssl speed ecdsap256 ecdhp256} (sign + ECDH per handshake); the handshake figures are
     * also given as a share of this ceiling times the cores.
     */
    private static final double ECDSA_SERVER_HANDSHAKES_PER_CORE = 11_600;
    private static final int ECHO_IN_FLIGHT = 64;

    private DtlsBenchmark() {
    }

    static void run(LoadRun.Settings settings) throws Exception {
        DtlsConfig.register();
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = ec.generateKeyPair();
        X509Certificate cert = selfSigned(keys);

        List<AutoCloseable> cleanup = new ArrayList<>();
        List<LoadRun.Scenario> scenarios = new ArrayList<>();

        // Handshakes.
        LiveDtlsServer pskServer = echoServer(DtlsServer.psk(null, id -> KEY), cleanup);
        LiveDtlsServer certServer = echoServer(DtlsServer.certificate(DtlsIdentity.of(keys.getPrivate(), List.of(cert))), cleanup);
        DtlsClient pskClient = DtlsClient.psk("bench", KEY);
        DtlsClient certClient = DtlsClient.certificates(DtlsTrust.of(List.of(cert)));
        // Like Scandium's clients below, each in-flight slot reuses one socket, and a call is a handshake,
        // one echoed byte and the end of the session (close_notify here; Scandium forgets its state).
        SluiceClients sluicePsk = new SluiceClients(pskClient, pskServer.localAddress(), HANDSHAKES_IN_FLIGHT, cleanup);
        SluiceClients sluiceCert = new SluiceClients(certClient, certServer.localAddress(), HANDSHAKES_IN_FLIGHT, cleanup);
        scenarios.add(new LoadRun.Scenario("Sluice handshake, PSK", HANDSHAKES_IN_FLIGHT, sluicePsk::handshake));
        scenarios.add(new LoadRun.Scenario("Sluice handshake, ECDSA", HANDSHAKES_IN_FLIGHT, sluiceCert::handshake));

        DTLSConnector scPskServer = scandiumEchoServer(b -> {
            AdvancedMultiPskStore store = new AdvancedMultiPskStore();
            store.setKey("bench", KEY);
            b.setAdvancedPskStore(store);
        }, cleanup);
        DTLSConnector scCertServer = scandiumEchoServer(b -> b
                .set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NONE)
                .setCertificateIdentityProvider(new SingleCertificateProvider(keys.getPrivate(), new X509Certificate[] {cert},
                        CertificateType.X_509)), cleanup);
        ScandiumClients scPsk = new ScandiumClients(scPskServer.getAddress(), HANDSHAKES_IN_FLIGHT,
                b -> b.setAdvancedPskStore(new AdvancedSinglePskStore("bench", KEY)), cleanup);
        ScandiumClients scCert = new ScandiumClients(scCertServer.getAddress(), HANDSHAKES_IN_FLIGHT,
                b -> b.setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustedCertificates(cert).build()),
                cleanup);
        scenarios.add(new LoadRun.Scenario("Scandium handshake, PSK", HANDSHAKES_IN_FLIGHT, scPsk::handshake));
        scenarios.add(new LoadRun.Scenario("Scandium handshake, ECDSA", HANDSHAKES_IN_FLIGHT, scCert::handshake));

        // Echo. Client and server each on an event loop of their own, as two processes would be (and as
        // Scandium's client and server connectors each have their own threads); the plain UDP pair too.
        UdpSocket[] dtlsPair = socketsOnTwoLoops(cleanup);
        LiveDtlsServer echoServer = DtlsServer.psk(null, id -> KEY).serve(PacketPipe.of(dtlsPair[0])).block(TIMEOUT);
        echoServer.sessions().subscribe(s -> s.send(s.receive()).subscribe(null, e -> { }));
        cleanup.add(echoServer::dispose);
        DtlsSession echoSession = pskClient.connect(dtlsPair[1], echoServer.localAddress()).block(TIMEOUT);
        Correlator sluiceEcho = new Correlator();
        echoSession.receive().subscribe(b -> sluiceEcho.complete(b.getInt(b.readerIndex()), b));
        DTLSConnector scEchoClient = scandiumClient(scPskServer.getAddress(), b -> b.setAdvancedPskStore(new AdvancedSinglePskStore("bench", KEY)));
        cleanup.add(scEchoClient::destroy);
        Correlator scandiumEcho = new Correlator();
        String[] scandiumSuite = {"?"};
        scEchoClient.setRawDataReceiver(raw -> {
            scandiumSuite[0] = raw.getEndpointContext().getString(DtlsEndpointContext.KEY_CIPHER);
            scandiumEcho.complete(ByteBuffer.wrap(raw.getBytes()).getInt(), null);
        });
        scEchoClient.start();
        UdpSocket[] udpPair = socketsOnTwoLoops(cleanup);
        UdpSocket udpServer = udpPair[0];
        udpServer.attach(new DatagramTarget() {
            @Override
            public void onDatagram(DatagramPacket packet) {
                udpServer.write(packet.content(), packet.sender());
            }

            @Override
            public void onOversized(InetSocketAddress sender, int limit) {
            }
        });
        UdpSocket udpClient = udpPair[1];
        Correlator udpEcho = new Correlator();
        udpClient.attach(new DatagramTarget() {
            @Override
            public void onDatagram(DatagramPacket packet) {
                udpEcho.complete(packet.content().getInt(packet.content().readerIndex()), packet);
            }

            @Override
            public void onOversized(InetSocketAddress sender, int limit) {
            }
        });
        for (int size : new int[] {64, 1200}) {
            scenarios.add(new LoadRun.Scenario("Sluice DTLS echo, " + size + " B", ECHO_IN_FLIGHT,
                    () -> sluiceEcho.call(id -> echoSession.send(Mono.fromSupplier(() -> payload(id, size))).subscribe())));
            scenarios.add(new LoadRun.Scenario("Scandium DTLS echo, " + size + " B", ECHO_IN_FLIGHT,
                    () -> scandiumEcho.call(id -> scEchoClient.send(RawData.outbound(bytes(id, size),
                            new AddressEndpointContext(scPskServer.getAddress()), null, false)))));
            scenarios.add(new LoadRun.Scenario("plain UDP echo, " + size + " B", ECHO_IN_FLIGHT,
                    () -> udpEcho.call(id -> udpClient.write(payload(id, size), udpServer.localAddress()))));
        }

        List<LoadRun.Result> results = LoadRun.measureAll(scenarios, settings);
        System.out.println("DTLS 1.2, loopback, median of " + settings.rounds() + " rounds of " + settings.measure().toSeconds()
                + " s per scenario after " + settings.warmup().toSeconds() + " s warm-up, " + Runtime.getRuntime().availableProcessors()
                + " cores, " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.println("(handshakes: calls/s = full handshakes/s incl. close; echo: calls/s = packets echoed/s; lost echoes time out"
                + " after 1 s and are not counted)");
        System.out.println("echo cipher suites: Sluice " + echoSession.cipherSuite() + ", Scandium " + scandiumSuite[0]);
        System.out.println(LoadRun.header());
        results.forEach(r -> System.out.println(r.row()));
        System.out.println();
        ratio(results, "Sluice handshake, PSK", "Scandium handshake, PSK", "handshakes/s PSK, Sluice / Scandium");
        ratio(results, "Sluice handshake, ECDSA", "Scandium handshake, ECDSA", "handshakes/s ECDSA, Sluice / Scandium");
        double ceiling = ECDSA_SERVER_HANDSHAKES_PER_CORE * Runtime.getRuntime().availableProcessors();
        System.out.println(String.format(Locale.ROOT, "%-45s %.1f%% (Sluice), %.1f%% (Scandium) of %.0f/s", "ECDSA handshakes/s, share of the CPU ceiling:",
                100 * find(results, "Sluice handshake, ECDSA").perSecond() / ceiling,
                100 * find(results, "Scandium handshake, ECDSA").perSecond() / ceiling, ceiling));
        for (int size : new int[] {64, 1200}) {
            ratio(results, "Sluice DTLS echo, " + size + " B", "Scandium DTLS echo, " + size + " B", "echo " + size + " B, Sluice / Scandium");
            ratio(results, "Sluice DTLS echo, " + size + " B", "plain UDP echo, " + size + " B", "echo " + size + " B, Sluice DTLS / plain UDP");
        }
        // Where the DTLS echo's extra CPU goes: the JDK's AES-GCM alone, called as the record cipher
        // calls it, against what an echo costs over plain UDP in this run.
        for (int size : new int[] {64, 1200}) {
            double[] gcm = gcmNanos(size);
            double dtls = find(results, "Sluice DTLS echo, " + size + " B").cpuMicrosPerCall();
            double udp = find(results, "plain UDP echo, " + size + " B").cpuMicrosPerCall();
            System.out.println(String.format(Locale.ROOT, "echo %d B, CPU per echo: DTLS %.2f µs, plain UDP %.2f µs, difference %.2f µs;"
                    + " AES-128-GCM on this JDK: seal %.0f ns, open %.0f ns, two of each %.2f µs", size, dtls, udp, dtls - udp,
                    gcm[0], gcm[1], 2 * (gcm[0] + gcm[1]) / 1000));
        }
        echoSession.close().block(TIMEOUT);
        idleSessionHeap(pskServer);
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    /**
     * Nanoseconds per AES-128-GCM seal and open of one record of {@code size} bytes on this JDK,
     * called the way Sluice's record cipher calls it (a cipher init per record with its nonce, the
     * 13-byte additional data, array to array); the best of five rounds of 100,000.
     */
    private static double[] gcmNanos(int size) throws GeneralSecurityException {
        Cipher seal = Cipher.getInstance("AES/GCM/NoPadding");
        Cipher open = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec key = new SecretKeySpec(new byte[16], "AES");
        byte[] nonce = new byte[12];
        byte[] aad = new byte[13];
        byte[] plain = new byte[size];
        byte[] sealed = new byte[size + 16];
        byte[] opened = new byte[size];
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        long sequence = 0;
        long sink = 0;
        for (int round = 0; round < 5; round++) {
            int n = 100_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ByteBuffer.wrap(nonce, 4, 8).putLong(sequence++);
                seal.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                seal.updateAAD(aad);
                sink += seal.doFinal(plain, 0, size, sealed, 0);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                open.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                open.updateAAD(aad);
                sink += open.doFinal(sealed, 0, size + 16, opened, 0);
            }
            long t2 = System.nanoTime();
            best[0] = Math.min(best[0], (t1 - t0) / (double) n);
            best[1] = Math.min(best[1], (t2 - t1) / (double) n);
        }
        if (sink != 5L * 100_000 * (2L * size + 16)) {
            throw new IllegalStateException("AES-GCM measured the wrong work");
        }
        return best;
    }

    /** Two sockets on different event loops (where there are two): a server's and a client's. */
    private static UdpSocket[] socketsOnTwoLoops(List<AutoCloseable> cleanup) {
        UdpSocket server = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
        cleanup.add(server::dispose);
        for (int attempt = 0; ; attempt++) {
            UdpSocket client = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
            cleanup.add(client::dispose);
            if (client.eventLoop() != server.eventLoop() || attempt == 8) {
                return new UdpSocket[] {server, client};
            }
        }
    }

    private static void ratio(List<LoadRun.Result> results, String a, String b, String label) {
        double x = find(results, a).perSecond();
        double y = find(results, b).perSecond();
        System.out.println(String.format(Locale.ROOT, "%-45s %.2fx", label + ":", x / y));
    }

    private static LoadRun.Result find(List<LoadRun.Result> results, String name) {
        return results.stream().filter(r -> r.scenario().equals(name)).findFirst().orElseThrow();
    }

    /** Heap held by 1,000 idle established sessions (client and server state, both in this JVM). */
    private static void idleSessionHeap(LiveDtlsServer server) throws Exception {
        int n = 1000;
        List<UdpSocket> sockets = Flux.range(0, n).concatMap(i -> UdpSocket.bind(LOOPBACK)).collectList().block(TIMEOUT);
        long before = usedHeap();
        List<DtlsSession> sessions = Flux.fromIterable(sockets)
                .flatMap(s -> DtlsClient.psk("bench", KEY).connect(s, server.localAddress()), 16)
                .collectList().block(Duration.ofMinutes(5));
        Await.until(() -> server.connections() >= n, TIMEOUT);
        long after = usedHeap();
        double perPair = (after - before) / (double) n;
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "heap per idle established session: %.1f KiB for client and server state together"
                + " (%d sessions, %.1f MiB), about %.1f KiB per side", perPair / 1024, n, (after - before) / 1048576.0, perPair / 2048));
        Flux.fromIterable(sessions).flatMap(DtlsSession::close, 32).blockLast(Duration.ofMinutes(2));
        sockets.forEach(UdpSocket::dispose);
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Mono.delay(Duration.ofMillis(100)).block();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static LiveDtlsServer echoServer(DtlsServer spec, List<AutoCloseable> cleanup) {
        LiveDtlsServer server = spec.maxSessions(4096).bind(LOOPBACK).block(TIMEOUT);
        server.sessions().subscribe(s -> s.send(s.receive()).subscribe(null, e -> { }));
        cleanup.add(server::dispose);
        return server;
    }

    private static DtlsConnectorConfig.Builder scandiumConfig(DtlsConfig.DtlsRole role) {
        return DtlsConnectorConfig.builder(new Configuration()).setAddress(LOOPBACK).set(DtlsConfig.DTLS_ROLE, role)
                .set(DtlsConfig.DTLS_VERIFY_SERVER_CERTIFICATES_SUBJECT, false);
    }

    private static DTLSConnector scandiumEchoServer(java.util.function.Consumer<DtlsConnectorConfig.Builder> setup,
                                                    List<AutoCloseable> cleanup) throws Exception {
        DtlsConnectorConfig.Builder b = scandiumConfig(DtlsConfig.DtlsRole.SERVER_ONLY);
        setup.accept(b);
        DTLSConnector server = new DTLSConnector(b.build());
        server.setRawDataReceiver(raw -> server.send(RawData.outbound(raw.getBytes(), raw.getEndpointContext(), null, false)));
        server.start();
        cleanup.add(server::destroy);
        return server;
    }

    private static DTLSConnector scandiumClient(InetSocketAddress server, java.util.function.Consumer<DtlsConnectorConfig.Builder> setup) {
        DtlsConnectorConfig.Builder b = scandiumConfig(DtlsConfig.DtlsRole.CLIENT_ONLY);
        setup.accept(b);
        return new DTLSConnector(b.build());
    }

    /** Sluice clients on reused sockets, one handshake at a time each: connect, send a byte, await its echo, close. */
    private static final class SluiceClients {
        private final Queue<UdpSocket> idle = new ConcurrentLinkedQueue<>();
        private final DtlsClient spec;
        private final InetSocketAddress server;

        SluiceClients(DtlsClient spec, InetSocketAddress server, int count, List<AutoCloseable> cleanup) {
            this.spec = spec;
            this.server = server;
            for (int i = 0; i < count; i++) {
                UdpSocket socket = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
                idle.add(socket);
                cleanup.add(socket::dispose);
            }
        }

        Mono<Object> handshake() {
            return Mono.usingWhen(Mono.fromCallable(idle::poll), socket -> spec.connect(socket, server)
                            .flatMap(session -> session.receive().next()
                                    .doOnSubscribe(s -> session.send(Mono.fromSupplier(() -> io.netty.buffer.Unpooled.wrappedBuffer(
                                            new byte[] {1}))).subscribe())
                                    .doOnNext(io.netty.buffer.ByteBuf::release)
                                    .then(session.close())),
                    socket -> Mono.fromRunnable(() -> idle.add(socket)))
                    .thenReturn((Object) Boolean.TRUE).timeout(TIMEOUT);
        }
    }

    /** Scandium clients, one handshake at a time each: forget the connection, send, await the echo. */
    private static final class ScandiumClients {
        private final Queue<DTLSConnector> idle = new ConcurrentLinkedQueue<>();
        private final Map<DTLSConnector, AtomicReference<MonoSink<Object>>> waiting = new ConcurrentHashMap<>();
        private final InetSocketAddress server;

        ScandiumClients(InetSocketAddress server, int count, java.util.function.Consumer<DtlsConnectorConfig.Builder> setup,
                        List<AutoCloseable> cleanup) throws Exception {
            this.server = server;
            for (int i = 0; i < count; i++) {
                DTLSConnector c = scandiumClient(server, setup);
                AtomicReference<MonoSink<Object>> slot = new AtomicReference<>();
                c.setRawDataReceiver(raw -> {
                    MonoSink<Object> sink = slot.getAndSet(null);
                    if (sink != null) {
                        // Back in the pool before the caller hears of it, so its next call finds a client.
                        idle.add(c);
                        sink.success(Boolean.TRUE);
                    }
                });
                c.start();
                waiting.put(c, slot);
                idle.add(c);
                cleanup.add(c::destroy);
            }
        }

        Mono<Object> handshake() {
            return Mono.create(sink -> {
                DTLSConnector c = idle.poll();
                AtomicReference<MonoSink<Object>> slot = waiting.get(c);
                slot.set(sink);
                sink.onCancel(() -> {
                    if (slot.compareAndSet(sink, null)) {
                        idle.add(c);
                    }
                });
                c.clearConnectionState();
                c.send(RawData.outbound(new byte[] {1}, new AddressEndpointContext(server), null, false));
            }).timeout(TIMEOUT);
        }
    }

    /** Matches echoed packets to their calls by a 4-byte id; a lost echo times out and is not counted. */
    private static final class Correlator {
        private final Map<Integer, MonoSink<Object>> pending = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();

        Mono<Object> call(java.util.function.IntConsumer send) {
            return Mono.create(sink -> {
                int id = ids.incrementAndGet();
                pending.put(id, sink);
                sink.onDispose(() -> pending.remove(id));
                send.accept(id);
            }).timeout(Duration.ofSeconds(1), Mono.empty());
        }

        void complete(int id, Object toRelease) {
            if (toRelease instanceof io.netty.util.ReferenceCounted rc) {
                rc.release();
            }
            MonoSink<Object> sink = pending.remove(id);
            if (sink != null) {
                sink.success(Boolean.TRUE);
            }
        }
    }

    private static ByteBuf payload(int id, int size) {
        return ByteBufAllocator.DEFAULT.buffer(size).writeInt(id).writeZero(size - 4);
    }

    private static byte[] bytes(int id, int size) {
        return ByteBuffer.allocate(size).putInt(id).array();
    }

    static X509Certificate selfSigned(KeyPair keys) throws Exception {
        X500Name name = new X500Name("CN=bench");
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
