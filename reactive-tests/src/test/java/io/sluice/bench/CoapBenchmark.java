package io.sluice.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.CoapTransmission;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import reactor.core.publisher.Mono;

/**
 * CoAP CON GET request/response over loopback with 64 requests in flight: Sluice and Eclipse
 * Californium as client and server in every pairing, over UDP and DTLS (PSK); then the heap held
 * per idle server session, 10,000 sessions each, for both servers.
 *
 * <p>Run: {@code mvn -B -q -DskipTests package exec:java -pl reactive-tests -am -Dbench=coap}
 */
final class CoapBenchmark {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int IN_FLIGHT = 64;
    private static final int IDLE_SESSIONS = 10_000;
    private static final byte[] KEY = "coap-bench-key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BODY = "22.5 C".getBytes(StandardCharsets.UTF_8);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private CoapBenchmark() {
    }

    static Configuration californiumConfig() {
        CoapConfig.register();
        UdpConfig.register();
        DtlsConfig.register();
        org.eclipse.californium.elements.config.TcpConfig.register();
        Configuration config = new Configuration();
        config.set(CoapConfig.NSTART, IN_FLIGHT);
        return config;
    }

    /**
     * The load runs' configuration. Californium's clients will not reuse a message ID within
     * EXCHANGE_LIFETIME (247 s), so past 65,536 requests to one peer in that time (a few seconds at
     * these rates) they fail requests for want of IDs; a 1-second lifetime lets them run. Sluice's
     * client wraps its IDs and its server tells a reused ID from a retransmission by the token.
     */
    static Configuration loadConfig() {
        Configuration config = californiumConfig();
        config.set(CoapConfig.EXCHANGE_LIFETIME, 1, java.util.concurrent.TimeUnit.SECONDS);
        config.set(CoapConfig.MARK_AND_SWEEP_INTERVAL, 1, java.util.concurrent.TimeUnit.SECONDS);
        return config;
    }

    static void run(LoadRun.Settings settings) throws Exception {
        Configuration config = loadConfig();
        List<AutoCloseable> cleanup = new ArrayList<>();
        CoapServer sluiceSpec = CoapServer.create().port(0).route(r -> r.get("/bench", req -> Mono.just(CoapResponse.content(BODY))));
        LiveCoapServer sluiceUdp = sluiceSpec.bind().block(TIMEOUT);
        cleanup.add(sluiceUdp::dispose);
        // The same pair with metrics on (a Prometheus registry, as a service would scrape), to price them.
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        LiveCoapServer sluiceUdpMetered = sluiceSpec.metrics(prometheus).bind().block(TIMEOUT);
        cleanup.add(sluiceUdpMetered::dispose);
        // A server with a socket per event loop (SO_REUSEPORT): the kernel spreads peers by their
        // address and port, so it is driven by four client sessions (four sockets), as is the
        // single-socket server in the row beside it.
        LiveCoapServer sluiceUdpSpread = sluiceSpec.reusePort(true).bind().block(TIMEOUT);
        cleanup.add(sluiceUdpSpread::dispose);
        LiveCoapServer sluiceDtls = sluiceSpec.dtls(DtlsServer.psk(null, id -> KEY).maxSessions(20_000)).port(0).bind().block(TIMEOUT);
        cleanup.add(sluiceDtls::dispose);
        org.eclipse.californium.core.CoapServer cfUdp = californiumServer(config, udpEndpoint(config));
        cleanup.add(cfUdp::destroy);
        org.eclipse.californium.core.CoapServer cfDtls = californiumServer(config, dtlsEndpoint(config, true));
        cleanup.add(cfDtls::destroy);
        // Californium's TCP connector sends no CSM (it predates it), so the server that its client
        // calls accepts that; Sluice's own client sends one either way.
        LiveCoapServer sluiceTcp = sluiceSpec.tcp().acceptMissingCsm(true).bind().block(TIMEOUT);
        cleanup.add(sluiceTcp::dispose);
        LiveCoapServer sluiceWs = sluiceSpec.webSocket().bind().block(TIMEOUT);
        cleanup.add(sluiceWs::dispose);
        // TLS: the JDK's with an ECDSA certificate (Sluice and Californium), and BouncyCastle's TLS-PSK (Sluice).
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(256);
        java.security.KeyPair keys = ec.generateKeyPair();
        java.security.cert.X509Certificate cert = DtlsBenchmark.selfSigned(keys);
        LiveCoapServer sluiceTls = sluiceSpec.tls(io.netty.handler.ssl.SslContextBuilder.forServer(keys.getPrivate(), cert)
                .applicationProtocolConfig(CoapServer.ALPN).build()).acceptMissingCsm(true).bind().block(TIMEOUT);
        cleanup.add(sluiceTls::dispose);
        LiveCoapServer sluicePsk = sluiceSpec.tls(io.sluice.dtls.session.TlsPsk.server(null, id -> KEY)).bind().block(TIMEOUT);
        cleanup.add(sluicePsk::dispose);
        javax.net.ssl.SSLContext jdkTls = jdkTls(keys, cert);
        config.set(org.eclipse.californium.elements.config.TcpConfig.TLS_CLIENT_AUTHENTICATION_MODE,
                org.eclipse.californium.elements.config.CertificateAuthenticationMode.NONE);
        config.set(org.eclipse.californium.elements.config.TcpConfig.TLS_VERIFY_SERVER_CERTIFICATES_SUBJECT, false);
        org.eclipse.californium.core.CoapServer cfTls = californiumServer(config, new CoapEndpoint.Builder().setConfiguration(config)
                .setConnector(new org.eclipse.californium.elements.tcp.netty.TlsServerConnector(jdkTls, LOOPBACK, config)).build());
        cleanup.add(cfTls::destroy);
        int cfTlsPort = cfTls.getEndpoints().get(0).getAddress().getPort();
        // The reference for a request/response over one TCP connection: HTTP/1.1 on reactor-netty, keep-alive.
        reactor.netty.DisposableServer http = reactor.netty.http.server.HttpServer.create().host("127.0.0.1").port(0)
                .route(r -> r.get("/bench", (req, res) -> res.sendByteArray(Mono.just(BODY)))).bindNow(TIMEOUT);
        cleanup.add(http::disposeNow);
        org.eclipse.californium.core.CoapServer cfTcp = californiumServer(config, new CoapEndpoint.Builder().setConfiguration(config)
                .setConnector(new org.eclipse.californium.elements.tcp.netty.TcpServerConnector(LOOPBACK, config)).build());
        cleanup.add(cfTcp::destroy);
        int cfTcpPort = cfTcp.getEndpoints().get(0).getAddress().getPort();
        int cfUdpPort = cfUdp.getEndpoints().get(0).getAddress().getPort();
        int cfDtlsPort = cfDtls.getEndpoints().get(0).getAddress().getPort();

        CoapClient sluiceClient = CoapClient.create().transmission(CoapTransmission.defaults().withNstart(IN_FLIGHT));
        CoapClient sluiceSecure = sluiceClient.dtls(DtlsClient.psk("bench", KEY));
        List<LoadRun.Scenario> scenarios = new ArrayList<>();
        CoapRequest get = CoapRequest.get("/bench");
        CoapSession s2s = sluiceClient.connect("coap://127.0.0.1:" + sluiceUdp.localAddress().getPort()).block(TIMEOUT);
        CoapSession s2sMetered = sluiceClient.metrics(prometheus)
                .connect("coap://127.0.0.1:" + sluiceUdpMetered.localAddress().getPort()).block(TIMEOUT);
        List<CoapSession> fourToOne = new ArrayList<>();
        List<CoapSession> fourToSpread = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fourToOne.add(sluiceClient.connect("coap://127.0.0.1:" + sluiceUdp.localAddress().getPort()).block(TIMEOUT));
            fourToSpread.add(sluiceClient.connect("coap://127.0.0.1:" + sluiceUdpSpread.localAddress().getPort()).block(TIMEOUT));
        }
        java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
        CoapSession s2c = sluiceClient.connect("coap://127.0.0.1:" + cfUdpPort).block(TIMEOUT);
        CoapSession s2sD = sluiceSecure.connect("coaps://127.0.0.1:" + sluiceDtls.localAddress().getPort()).block(TIMEOUT);
        CoapSession s2cD = sluiceSecure.connect("coaps://127.0.0.1:" + cfDtlsPort).block(TIMEOUT);
        CoapSession s2sT = sluiceClient.connect("coap+tcp://127.0.0.1:" + sluiceTcp.localAddress().getPort()).block(TIMEOUT);
        // Californium closes a TCP connection idle for its TCP_CONNECTION_IDLE_TIMEOUT (10 s), as the
        // runs before this one leave it: connect again when the session was closed.
        Mono<CoapSession> s2cT = sluiceClient.acceptMissingCsm(true).connect("coap+tcp://127.0.0.1:" + cfTcpPort)
                .cacheInvalidateIf(s -> s.state() == io.sluice.coap.CoapSessionState.CLOSED);
        CoapSession s2sW = sluiceClient.connect("coap+ws://127.0.0.1:" + sluiceWs.localAddress().getPort()).block(TIMEOUT);
        CoapClient tlsClient = sluiceClient.tls(io.netty.handler.ssl.SslContextBuilder.forClient().trustManager(cert)
                .endpointIdentificationAlgorithm(null).applicationProtocolConfig(CoapServer.ALPN).build());
        CoapSession s2sTls = tlsClient.connect("coaps+tcp://127.0.0.1:" + sluiceTls.localAddress().getPort()).block(TIMEOUT);
        Mono<CoapSession> s2cTls = tlsClient.acceptMissingCsm(true).connect("coaps+tcp://127.0.0.1:" + cfTlsPort)
                .cacheInvalidateIf(s -> s.state() == io.sluice.coap.CoapSessionState.CLOSED);
        CoapSession s2sPsk = sluiceClient.tls(io.sluice.dtls.session.TlsPsk.client("bench", KEY))
                .connect("coaps+tcp://127.0.0.1:" + sluicePsk.localAddress().getPort()).block(TIMEOUT);
        reactor.netty.http.client.HttpClient httpClient = reactor.netty.http.client.HttpClient.create(
                        reactor.netty.resources.ConnectionProvider.builder("bench").maxConnections(IN_FLIGHT).build())
                .baseUrl("http://127.0.0.1:" + http.port());
        CaliforniumCaller c2c = new CaliforniumCaller(udpEndpoint(config), "coap://127.0.0.1:" + cfUdpPort + "/bench");
        CaliforniumCaller c2s = new CaliforniumCaller(udpEndpoint(config), "coap://127.0.0.1:" + sluiceUdp.localAddress().getPort() + "/bench");
        CaliforniumCaller c2cD = new CaliforniumCaller(dtlsEndpoint(config, false), "coaps://127.0.0.1:" + cfDtlsPort + "/bench");
        CaliforniumCaller c2sD = new CaliforniumCaller(dtlsEndpoint(config, false), "coaps://127.0.0.1:" + sluiceDtls.localAddress().getPort() + "/bench");
        CaliforniumCaller c2cT = new CaliforniumCaller(tcpClientEndpoint(config), "coap+tcp://127.0.0.1:" + cfTcpPort + "/bench");
        CaliforniumCaller c2sT = new CaliforniumCaller(tcpClientEndpoint(config), "coap+tcp://127.0.0.1:" + sluiceTcp.localAddress().getPort() + "/bench");
        CaliforniumCaller c2cTls = new CaliforniumCaller(tlsClientEndpoint(config, jdkTls), "coaps+tcp://127.0.0.1:" + cfTlsPort + "/bench");
        CaliforniumCaller c2sTls = new CaliforniumCaller(tlsClientEndpoint(config, jdkTls),
                "coaps+tcp://127.0.0.1:" + sluiceTls.localAddress().getPort() + "/bench");
        List.of(c2c, c2s, c2cD, c2sD, c2cT, c2sT, c2cTls, c2sTls).forEach(c -> cleanup.add(c::close));
        java.util.Map<String, java.util.concurrent.atomic.LongAdder> lost = new java.util.LinkedHashMap<>();
        java.util.function.BiConsumer<String, java.util.function.Supplier<Mono<?>>> add = (name, call) -> {
            java.util.concurrent.atomic.LongAdder l = new java.util.concurrent.atomic.LongAdder();
            lost.put(name, l);
            // A lost exchange must not stall the run: it is counted and reported, not measured.
            scenarios.add(new LoadRun.Scenario(name, IN_FLIGHT, () -> call.get().timeout(Duration.ofSeconds(5))
                    .onErrorResume(e -> {
                        l.increment();
                        return Mono.empty();
                    })));
        };
        add.accept("UDP Sluice -> Sluice", () -> s2s.request(get));
        add.accept("UDP Sluice -> Sluice, metrics on (Prometheus)", () -> s2sMetered.request(get));
        add.accept("UDP Sluice x4 -> Sluice, one socket", () -> fourToOne.get(turn.getAndIncrement() & 3).request(get));
        add.accept("UDP Sluice x4 -> Sluice, socket per loop", () -> fourToSpread.get(turn.getAndIncrement() & 3).request(get));
        add.accept("UDP Californium -> Californium", c2c::call);
        add.accept("UDP Sluice -> Californium", () -> s2c.request(get));
        add.accept("UDP Californium -> Sluice", c2s::call);
        add.accept("TCP Sluice -> Sluice", () -> s2sT.request(get));
        add.accept("TCP Californium -> Californium", c2cT::call);
        add.accept("TCP Sluice -> Californium", () -> s2cT.flatMap(session -> session.request(get)));
        add.accept("TCP Californium -> Sluice", c2sT::call);
        add.accept("TLS Sluice -> Sluice", () -> s2sTls.request(get));
        add.accept("TLS Californium -> Californium", c2cTls::call);
        add.accept("TLS Sluice -> Californium", () -> s2cTls.flatMap(session -> session.request(get)));
        add.accept("TLS Californium -> Sluice", c2sTls::call);
        add.accept("TLS-PSK Sluice -> Sluice (BouncyCastle)", () -> s2sPsk.request(get));
        add.accept("WS Sluice -> Sluice", () -> s2sW.request(get));
        add.accept("HTTP/1.1 reactor-netty (reference)", () -> httpClient.get().uri("/bench").responseContent().aggregate().asByteArray());
        add.accept("DTLS Sluice -> Sluice", () -> s2sD.request(get));
        add.accept("DTLS Californium -> Californium", c2cD::call);
        add.accept("DTLS Sluice -> Californium", () -> s2cD.request(get));
        add.accept("DTLS Californium -> Sluice", c2sD::call);

        List<LoadRun.Result> results = LoadRun.measureAll(scenarios, settings);
        System.out.println("CoAP CON GET, loopback, " + IN_FLIGHT + " in flight, median of " + settings.rounds() + " rounds of "
                + settings.measure().toSeconds() + " s after " + settings.warmup().toSeconds() + " s warm-up, "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version") + "; Eclipse Californium 3.14.0");
        System.out.println("DTLS cipher suites: Sluice client " + s2sD.tls().orElseThrow().cipherSuite() + " (to Sluice), "
                + s2cD.tls().orElseThrow().cipherSuite() + " (to Californium)");
        System.out.println(LoadRun.header());
        results.forEach(r -> System.out.println(r.row()));
        System.out.println("exchanges that failed or went unanswered for 5 s (not counted above): " + lost);
        System.out.println("Californium clients' failures by reason: udp->cf " + c2c.failures() + ", udp->sluice " + c2s.failures()
                + ", dtls->cf " + c2cD.failures() + ", dtls->sluice " + c2sD.failures() + ", tcp->cf " + c2cT.failures()
                + ", tcp->sluice " + c2sT.failures() + ", tls->cf " + c2cTls.failures() + ", tls->sluice " + c2sTls.failures());
        System.out.println();
        for (String t : new String[] {"UDP", "DTLS"}) {
            compare(results, String.format(Locale.ROOT, "%-4s throughput Sluice/Californium", t), t + " Sluice -> Sluice",
                    t + " Californium -> Californium", " (target 1.5x)");
        }
        compare(results, "TCP  throughput Sluice/Californium", "TCP Sluice -> Sluice", "TCP Californium -> Californium", " (target 1.5x)");
        compare(results, "TLS  throughput Sluice/Californium", "TLS Sluice -> Sluice", "TLS Californium -> Californium", " (target 1.5x)");
        LoadRun.Result tcp = find(results, "TCP Sluice -> Sluice");
        LoadRun.Result udp = find(results, "UDP Sluice -> Sluice");
        LoadRun.Result httpRef = find(results, "HTTP/1.1 reactor-netty (reference)");
        System.out.println(String.format(Locale.ROOT, "TCP  throughput TCP/UDP (Sluice) %.2fx (target 1.0x); CoAP over TCP/HTTP/1.1 %.2fx; p99 %.0f µs vs %.0f µs",
                tcp.perSecond() / udp.perSecond(), tcp.perSecond() / httpRef.perSecond(), tcp.p99Nanos() / 1000.0, httpRef.p99Nanos() / 1000.0));
        compare(results, "UDP  metrics on/off (Sluice -> Sluice)", "UDP Sluice -> Sluice, metrics on (Prometheus)", "UDP Sluice -> Sluice", "");
        compare(results, "UDP  socket per loop/one socket (4 clients)", "UDP Sluice x4 -> Sluice, socket per loop",
                "UDP Sluice x4 -> Sluice, one socket", " (server sockets: " + sluiceUdpSpread.sockets() + ")");
        fourToOne.forEach(CoapSession::release);
        fourToSpread.forEach(CoapSession::release);
        List.of(s2s, s2sMetered, s2c, s2sD, s2cD, s2sT, s2sW, s2sTls, s2sPsk).forEach(CoapSession::release);

        System.out.println();
        sluiceUdp.dispose();
        cfUdp.destroy();
        System.out.println("Idle sessions: 10,000 peers (distinct loopback ports) each sent one CON GET, then went quiet;"
                + " both servers keep what they keep for EXCHANGE_LIFETIME (247 s, their defaults).");
        double sluiceHeap = idleHeap("Sluice", () -> {
            LiveCoapServer s = sluiceSpec.bind().block(TIMEOUT);
            return new IdleTarget(s.localAddress().getPort(), s::dispose, () -> s.sessions().size());
        });
        Configuration standard = californiumConfig();
        double cfHeap = idleHeap("Californium", () -> {
            org.eclipse.californium.core.CoapServer s = californiumServer(standard, udpEndpoint(standard));
            return new IdleTarget(s.getEndpoints().get(0).getAddress().getPort(), s::destroy, () -> -1);
        });
        System.out.println(String.format(Locale.ROOT, "heap per idle UDP server session: Sluice %.0f B, Californium %.0f B (Sluice/Californium %.2fx)",
                sluiceHeap, cfHeap, sluiceHeap / cfHeap));
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception ignored) {
                // best effort at the end of a benchmark
            }
        }
    }

    record IdleTarget(int port, Runnable dispose, java.util.function.IntSupplier sessions) {
    }

    /**
     * Heap held by a server after 10,000 peers (distinct source ports) each made one CON GET and
     * went quiet: the session, deduplication and any per-peer state a server keeps for
     * EXCHANGE_LIFETIME.
     */
    private static double idleHeap(String name, java.util.function.Supplier<IdleTarget> start) throws Exception {
        IdleTarget target = start.get();
        List<DatagramSocket> peers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            // Every peer keeps its socket until the measurement, so no two share a source port.
            for (int i = 0; i < IDLE_SESSIONS; i++) {
                peers.add(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            }
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int from = t * (IDLE_SESSIONS / 8);
                work.add(pool.submit(() -> {
                    for (int i = from; i < from + IDLE_SESSIONS / 8; i++) {
                        oneRequest(peers.get(i), target.port(), i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            int live = target.sessions().getAsInt();
            long loaded = usedHeap();
            target.dispose().run();
            long released = usedHeap();
            System.out.println(String.format(Locale.ROOT, "%s server with %d idle peers: %.1f MiB more than after it was disposed%s",
                    name, IDLE_SESSIONS, (loaded - released) / 1048576.0, live >= 0 ? " (" + live + " sessions)" : ""));
            return (loaded - released) / (double) IDLE_SESSIONS;
        } finally {
            pool.shutdown();
            peers.forEach(DatagramSocket::close);
        }
    }

    private static void oneRequest(DatagramSocket socket, int port, int i) throws Exception {
        {
            socket.setSoTimeout(5000);
            CoapMessage get = CoapMessage.of(CoapType.CON, CoapCode.GET, i & 0xFFFF).withToken(new byte[] {(byte) (i >> 8), (byte) i})
                    .withOptions(CoapOptions.builder().uriPath("/bench").build());
            ByteBuf out = Unpooled.buffer();
            CoapMessageCodec.INSTANCE.encode(get, out);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            out.release();
            for (int attempt = 0; attempt < 4; attempt++) {
                socket.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
                DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                try {
                    socket.receive(reply);
                    ByteBuf in = Unpooled.wrappedBuffer(reply.getData(), 0, reply.getLength());
                    try {
                        CoapMessageCodec.INSTANCE.decode(in, Limits.defaults());
                    } finally {
                        in.release();
                    }
                    return;
                } catch (java.net.SocketTimeoutException retry) {
                    // CON semantics: try again
                }
            }
            throw new IllegalStateException("no answer from port " + port);
        }
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Mono.delay(Duration.ofMillis(100)).block(); // let the collector settle, as the DTLS benchmark does
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Prints {@code label}: the throughput of {@code a} over {@code b}, and both p99s. */
    private static void compare(List<LoadRun.Result> results, String label, String a, String b, String note) {
        LoadRun.Result x = find(results, a);
        LoadRun.Result y = find(results, b);
        System.out.println(String.format(Locale.ROOT, "%s %.2fx%s; p99 %.0f µs vs %.0f µs", label, x.perSecond() / y.perSecond(), note,
                x.p99Nanos() / 1000.0, y.p99Nanos() / 1000.0));
    }

    private static LoadRun.Result find(List<LoadRun.Result> results, String name) {
        return results.stream().filter(r -> r.scenario().equals(name)).findFirst().orElseThrow();
    }

    static CoapEndpoint udpEndpoint(Configuration config) {
        return new CoapEndpoint.Builder().setConfiguration(config).setInetSocketAddress(LOOPBACK).build();
    }

    static CoapEndpoint tcpClientEndpoint(Configuration config) {
        return new CoapEndpoint.Builder().setConfiguration(config)
                .setConnector(new org.eclipse.californium.elements.tcp.netty.TcpClientConnector(config)).build();
    }

    static CoapEndpoint tlsClientEndpoint(Configuration config, javax.net.ssl.SSLContext context) {
        return new CoapEndpoint.Builder().setConfiguration(config)
                .setConnector(new org.eclipse.californium.elements.tcp.netty.TlsClientConnector(context, config)).build();
    }

    /** A JDK context holding {@code keys} under {@code cert} and trusting {@code cert}: one identity both sides share. */
    static javax.net.ssl.SSLContext jdkTls(java.security.KeyPair keys, java.security.cert.X509Certificate cert) throws Exception {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("bench", keys.getPrivate(), new char[0], new java.security.cert.Certificate[] {cert});
        store.setCertificateEntry("anchor", cert);
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    static CoapEndpoint dtlsEndpoint(Configuration config, boolean server) {
        DtlsConnectorConfig.Builder dtls = DtlsConnectorConfig.builder(config).setAddress(LOOPBACK)
                .set(DtlsConfig.DTLS_ROLE, server ? DtlsConfig.DtlsRole.SERVER_ONLY : DtlsConfig.DtlsRole.CLIENT_ONLY)
                .setAdvancedPskStore(new AdvancedSinglePskStore("bench", KEY));
        return new CoapEndpoint.Builder().setConfiguration(config).setConnector(new DTLSConnector(dtls.build())).build();
    }

    static org.eclipse.californium.core.CoapServer californiumServer(Configuration config, CoapEndpoint endpoint) {
        org.eclipse.californium.core.CoapServer server = new org.eclipse.californium.core.CoapServer(config);
        server.addEndpoint(endpoint);
        server.add(new CoapResource("bench") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(CoAP.ResponseCode.CONTENT, BODY);
            }
        });
        server.start();
        return server;
    }

    /** A Californium client endpoint issuing asynchronous CON GETs, as Monos for the load driver; failures say why. */
    static final class CaliforniumCaller {
        private final CoapEndpoint endpoint;
        private final String uri;
        private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> failures =
                new java.util.concurrent.ConcurrentHashMap<>();

        CaliforniumCaller(CoapEndpoint endpoint, String uri) {
            this.endpoint = endpoint;
            this.uri = uri;
            try {
                endpoint.start();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        Mono<?> call() {
            return Mono.create(sink -> {
                org.eclipse.californium.core.coap.Request request = org.eclipse.californium.core.coap.Request.newGet();
                request.setURI(uri);
                request.addMessageObserver(new org.eclipse.californium.core.coap.MessageObserverAdapter() {
                    @Override
                    public void onResponse(org.eclipse.californium.core.coap.Response response) {
                        sink.success(response.getPayload());
                    }

                    @Override
                    protected void failed() {
                        fail("failed");
                    }

                    @Override
                    public void onSendError(Throwable error) {
                        // Californium names the message ID in the text; count by reason, not by ID.
                        fail("send error: " + String.valueOf(error.getMessage()).replaceAll("\\[?\\d+\\]?|Exchange\\[.*", "").trim());
                    }

                    @Override
                    public void onTimeout() {
                        fail("timeout");
                    }

                    @Override
                    public void onReject() {
                        fail("reset");
                    }

                    private void fail(String why) {
                        failures.computeIfAbsent(why, k -> new java.util.concurrent.atomic.LongAdder()).increment();
                        sink.error(new IllegalStateException("Californium request failed: " + why));
                    }
                });
                endpoint.sendRequest(request);
            });
        }

        java.util.Map<String, java.util.concurrent.atomic.LongAdder> failures() {
            return failures;
        }

        void close() {
            endpoint.destroy();
        }
    }
}
