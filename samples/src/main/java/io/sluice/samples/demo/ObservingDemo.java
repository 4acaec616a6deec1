package io.sluice.samples.demo;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Collectors;
import org.slf4j.event.Level;
import reactor.core.publisher.Mono;

/**
 * The observability part of the demo: a CoAP server and client recording into one Micrometer
 * registry, the server's wiretap logging each message (at INFO here), and the meters the exchange
 * left, as a scrape would see them.
 */
final class ObservingDemo {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private ObservingDemo() {
    }

    static void run() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LiveCoapServer server = CoapServer.create().port(0).metrics(registry).wiretap("sluice.demo.wiretap", Level.INFO)
                .route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hello"))))
                .bind().block(WAIT);
        try {
            CoapSession client = CoapClient.create().metrics(registry)
                    .connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
            // Under exec:java SLF4J logs through Maven's own logger, which -q silences; run the demo
            // without -q to see the wiretap's lines.
            System.out.println("  three GET /hello and one GET /missing; the server's wiretap logs each message at INFO"
                    + " under sluice.demo.wiretap (run without -q to see it)");
            for (int i = 0; i < 3; i++) {
                client.request(CoapRequest.get("/hello")).block(WAIT);
            }
            System.out.println("  GET /missing -> " + client.request(CoapRequest.get("/missing")).block(WAIT).code());
            System.out.println("  the meters (tags never name a peer's address):");
            registry.getMeters().stream()
                    .filter(m -> m.getId().getName().startsWith("sluice.coap.requests") || m.getId().getName().equals("sluice.coap.sessions")
                            || m.getId().getName().startsWith("sluice.coap.messages"))
                    .filter(m -> value(m) > 0)
                    .sorted(Comparator.comparing((Meter m) -> m.getId().getName()).thenComparing(m -> m.getId().getTags().toString()))
                    .forEach(m -> System.out.println(String.format(Locale.ROOT, "    %s{%s} %s", m.getId().getName(),
                            m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue()).collect(Collectors.joining(",")),
                            describe(m))));
            client.release();
        } finally {
            server.dispose();
        }
    }

    private static double value(Meter m) {
        for (Measurement measurement : m.measure()) {
            return measurement.getValue();
        }
        return 0;
    }

    private static String describe(Meter m) {
        return m.measure().iterator().hasNext() ? java.util.stream.StreamSupport.stream(m.measure().spliterator(), false)
                .map(x -> x.getStatistic().name().toLowerCase(Locale.ROOT) + "=" + format(x.getValue(), x.getStatistic().name()))
                .collect(Collectors.joining(" ")) : "";
    }

    private static String format(double v, String statistic) {
        return statistic.contains("TIME") || statistic.equals("MAX") ? String.format(Locale.ROOT, "%.6fs", v) : String.format(Locale.ROOT, "%.0f", v);
    }
}
