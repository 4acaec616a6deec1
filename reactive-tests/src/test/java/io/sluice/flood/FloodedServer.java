package io.sluice.flood;

import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.DtlsServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The server under attack, in a JVM of its own with a small heap: a default {@code CoapServer}
 * over UDP ({@code coap}), over TCP ({@code coap+tcp}) or over DTLS with a pre-shared key ({@code coaps}) with one route,
 * {@code /hello}. It prints {@code PORT n}, then answers each {@code stats} line on its standard
 * input with the heap used after a full collection and the server's counters, and ends on
 * {@code quit} or at the end of its input.
 */
public final class FloodedServer {

    static final byte[] KEY = "flood-test-key".getBytes(StandardCharsets.UTF_8);
    static final String IDENTITY = "legit";

    private FloodedServer() {
    }

    public static void main(String[] args) throws Exception {
        boolean secure = args.length > 0 && args[0].equals("coaps");
        boolean stream = args.length > 0 && args[0].equals("coap+tcp");
        CoapServer spec = CoapServer.create().port(0).route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hello"))));
        if (stream) {
            spec = spec.tcp(); // default caps: maxSessions 50,000, maxIdleSessions 10,000, CSM timeout 10 s
        }
        if (secure) {
            spec = spec.dtls(DtlsServer.psk("flood", id -> IDENTITY.equals(new String(id, StandardCharsets.UTF_8)) ? KEY.clone() : null));
        }
        LiveCoapServer server = spec.bind().block(Duration.ofSeconds(30));
        System.out.println("PORT " + server.localAddress().getPort());
        System.out.flush();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
            if (line.equals("stats")) {
                System.gc();
                System.gc();
                long used = memory.getHeapMemoryUsage().getUsed();
                System.out.println("STATS heap=" + used + " max=" + memory.getHeapMemoryUsage().getMax()
                        + " sessions=" + server.sessions().size() + " idle=" + server.idleSessions()
                        + " evicted=" + server.evictedSessions() + " refused=" + server.refusedSessions()
                        + " duplicates=" + server.duplicateRequests() + " malformed=" + server.malformedDatagrams());
                System.out.flush();
            }
        }
        server.dispose();
        System.exit(0);
    }
}
