package io.sluice.samples.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.coap.CoapException;
import io.sluice.coap.CoapRequest;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapSession;
import io.sluice.messaging.ServerSessionInfo;
import io.sluice.samples.switching.SwitchFacility;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP face of the service. Every handler hands the SDK's publishers to WebFlux as they are,
 * so an HTTP client's demand becomes Sluice demand: a slow SSE reader slows the peer stream at its
 * source and, for a CoAP observation, sees the newest states while older ones are dropped and
 * counted — never an unbounded buffer.
 */
@Configuration(proxyBeanMethods = false)
public class SluiceRoutes {

    /**
     * @param backends the Sluice servers and sessions
     * @return the routes
     */
    @Bean
    public RouterFunction<ServerResponse> sluiceRouter(SluiceBackends backends) {
        return RouterFunctions.route()
                .GET("/coap/**", request -> coap(request, backends))
                .POST("/peer/{tag}", request -> peerCall(request, backends))
                .GET("/peer/{tag}/stream", request -> peerStream(request, backends))
                .GET("/switch/queues", request -> ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                        .body(backends.messaging().stream(SwitchFacility.QUEUE_STATUS,
                                        Integer.parseInt(request.queryParam("periodMillis").orElse("500")))
                                .map(s -> ServerSentEvent.builder(s).id(Long.toString(s.sequence())).build()), ServerSentEvent.class))
                .GET("/sessions", request -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(sessions(backends)))
                // The dashboard's live table and counters: a snapshot of the SDK's sessions and meters each second.
                .GET("/dashboard/stream", request -> ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                        .body(Flux.interval(Duration.ZERO, Duration.ofSeconds(1)).onBackpressureLatest()
                                .map(i -> ServerSentEvent.builder(dashboard(backends)).id(Long.toString(i)).build()), ServerSentEvent.class))
                .build();
    }

    private static Mono<ServerResponse> coap(ServerRequest request, SluiceBackends backends) {
        String path = request.path().substring("/coap".length());
        CoapSession session = backends.coap();
        if (path.endsWith("/observe")) {
            String resource = path.substring(0, path.length() - "/observe".length());
            Flux<ServerSentEvent<String>> events = session.observe(CoapRequest.get(resource))
                    .doOnDiscard(CoapResponse.class, dropped -> backends.droppedNotifications.increment())
                    .map(n -> ServerSentEvent.builder(n.bodyText()).event(n.code().toString()).id(Long.toString(n.observe())).build());
            return ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM).body(events, ServerSentEvent.class);
        }
        return session.request(CoapRequest.get(path))
                .flatMap(r -> ServerResponse.status(httpStatus(r)).contentType(MediaType.TEXT_PLAIN)
                        .header("CoAP-Code", r.code().toString()).bodyValue(r.bodyText()))
                .onErrorResume(CoapException.class, e -> ServerResponse.status(HttpStatus.BAD_GATEWAY).bodyValue(e.getMessage()));
    }

    private static HttpStatus httpStatus(CoapResponse r) {
        return switch (r.code().codeClass()) {
            case 2 -> HttpStatus.OK;
            case 4 -> r.code().detail() == 4 ? HttpStatus.NOT_FOUND : HttpStatus.BAD_REQUEST;
            default -> HttpStatus.BAD_GATEWAY;
        };
    }

    private static Mono<ServerResponse> peerCall(ServerRequest request, SluiceBackends backends) {
        if (!"echo".equals(request.pathVariable("tag"))) {
            return ServerResponse.notFound().build();
        }
        return request.bodyToMono(String.class).defaultIfEmpty("")
                .flatMap(body -> backends.peer().call(SluiceBackends.ECHO, body))
                .flatMap(answer -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue(answer));
    }

    private static Mono<ServerResponse> peerStream(ServerRequest request, SluiceBackends backends) {
        if (!"ticks".equals(request.pathVariable("tag"))) {
            return ServerResponse.notFound().build();
        }
        String count = request.queryParam("count").orElse("1000000");
        return ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                .body(backends.peer().stream(SluiceBackends.TICKS, count).map(t -> ServerSentEvent.builder(t).build()), ServerSentEvent.class);
    }

    /** One dashboard frame: every live session as a table row, and the headline counters from the SDK's meters. */
    static Map<String, Object> dashboard(SluiceBackends backends) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (CoapSession s : backends.coapServer().sessions()) {
            rows.add(row(s, "server"));
        }
        for (CoapSession s : backends.coapWebSockets().sessions()) {
            rows.add(row(s, "server"));
        }
        rows.add(row(backends.coap(), "client"));
        for (ServerSessionInfo s : backends.messagingServer().sessions()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("protocol", s.tls() ? "som+tls" : "som");
            m.put("type", "server");
            m.put("state", s.user() == null ? "connected" : "authenticated (" + s.user().mechanism() + ")");
            m.put("peer", String.valueOf(s.remoteAddress()));
            m.put("cipherSuite", "-");
            rows.add(m);
        }
        MeterRegistry registry = backends.registry();
        Map<String, Object> counters = new LinkedHashMap<>();
        counters.put("coapRequests", (long) registry.find("sluice.coap.requests").tag("role", "server").timers().stream()
                .mapToDouble(Timer::count).sum());
        counters.put("peerCalls", (long) registry.find("sluice.peer.calls").tag("direction", "incoming").timers().stream()
                .mapToDouble(Timer::count).sum());
        counters.put("handshakes", (long) registry.find("sluice.dtls.handshakes").tag("role", "server").timers().stream()
                .mapToDouble(Timer::count).sum());
        counters.put("drops", (long) (registry.find("sluice.coap.drops").functionCounters().stream().mapToDouble(FunctionCounter::count).sum()
                + registry.find("sluice.dtls.drops").functionCounters().stream().mapToDouble(FunctionCounter::count).sum()));
        counters.put("notifications", (long) registry.find("sluice.coap.notifications").tag("outcome", "sent").functionCounters().stream()
                .mapToDouble(FunctionCounter::count).sum());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sessions", rows);
        out.put("counters", counters);
        return out;
    }

    private static Map<String, Object> row(CoapSession s, String side) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("protocol", "coap " + s.protocol().name().toLowerCase(java.util.Locale.ROOT));
        m.put("type", s.type().name().toLowerCase(java.util.Locale.ROOT) + " (" + side + " side)");
        m.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("peer", String.valueOf(s.remoteAddress()));
        m.put("cipherSuite", s.tls().map(t -> t.cipherSuite()).orElse("-"));
        return m;
    }

    /** The live sessions as the SDK reports them. */
    static Map<String, Object> sessions(SluiceBackends backends) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("coapServer", Map.of("address", String.valueOf(backends.coapServer().localAddress()),
                "protocol", backends.coapServer().protocol().name(),
                "idleSessions", backends.coapServer().idleSessions()));
        List<Map<String, Object>> coap = backends.coapServer().sessions().stream().map(SluiceRoutes::describe).toList();
        out.put("coapServerSessions", coap);
        out.put("coapClientSession", describe(backends.coap()));
        out.put("dtlsSessions", backends.coapServer().sessions().stream().filter(s -> s.tls().isPresent())
                .map(s -> Map.of("remote", String.valueOf(s.remoteAddress()), "cipherSuite", s.tls().orElseThrow().cipherSuite()))
                .toList());
        out.put("messagingSessions", backends.messagingServer().sessions().size());
        out.put("droppedNotifications", backends.droppedNotifications());
        return out;
    }

    private static Map<String, Object> describe(CoapSession s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", s.type().name());
        m.put("state", s.state().name());
        m.put("protocol", s.protocol().name());
        m.put("local", String.valueOf(s.localAddress()));
        m.put("remote", String.valueOf(s.remoteAddress()));
        m.put("refCount", s.refCount());
        return m;
    }
}
