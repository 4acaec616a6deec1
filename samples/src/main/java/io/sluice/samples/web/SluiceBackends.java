package io.sluice.samples.web;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapResponse;
import io.sluice.coap.CoapServer;
import io.sluice.coap.CoapSession;
import io.sluice.coap.LiveCoapServer;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.messaging.Credentials;
import io.sluice.messaging.FacilityAuthorization;
import io.sluice.messaging.LiveMessagingServer;
import io.sluice.messaging.MessagingClient;
import io.sluice.messaging.MessagingServer;
import io.sluice.messaging.MessagingSession;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.CallType;
import io.sluice.peer.Dispatch;
import io.sluice.peer.LivePeer;
import io.sluice.peer.PayloadCodecs;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.peer.PeerProtocol;
import io.sluice.peer.PeerSession;
import io.sluice.samples.switching.MessageSwitch;
import io.sluice.samples.switching.SwitchFacility;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Sluice servers the service fronts, and the client sessions it uses to reach them, all on
 * loopback. Started once at start-up (blocking there is fine: no request is being served yet),
 * stopped when the application context closes.
 */
@Component
public class SluiceBackends implements DisposableBean {

    /** The peer protocol: a unary echo and a streamed counter. */
    static final CallType<String, String> ECHO = CallType.unary(1, "echo", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> TICKS = CallType.stream(2, "ticks", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final PeerProtocol PROTOCOL = PeerProtocol.of(ECHO, TICKS);

    private static final Duration START = Duration.ofSeconds(30);

    private final LiveCoapServer coapServer;
    private final LiveCoapServer coapWebSockets;
    private final CoapSession coap;
    /** The running sensor behind {@code /sensors/temp}. */
    private final TemperatureSensor sensor;
    private final LivePeer peerServer;
    private final LivePeer peerClient;
    private final PeerSession peer;
    private final MessageSwitch messageSwitch;
    private final LiveMessagingServer messagingServer;
    private final MessagingSession messaging;
    private final MeterRegistry registry;
    /** Sensor notifications the service dropped because an HTTP client read them too slowly. */
    final LongAdder droppedNotifications = new LongAdder();

    /**
     * @param properties the service's settings
     * @param registry where every Sluice server and client here records its meters (Spring Boot's
     *     registry, scraped at {@code /actuator/prometheus})
     * @param observations Spring Boot's observation registry: CoAP requests and peer calls become
     *     observations (and spans, with a tracing bridge on the class path)
     */
    public SluiceBackends(SluiceWebProperties properties, MeterRegistry registry, ObservationRegistry observations) {
        this.registry = registry;
        registry.gauge("sluice.web.notifications.dropped", droppedNotifications, LongAdder::sum);
        byte[] key = properties.pskKey().getBytes(StandardCharsets.UTF_8);
        // One sensor for every observer and GET, started here, not per request: a Flux.interval
        // subscribed per request would schedule a timer from the CoAP event loop, and cancelling one
        // (a GET takes the first reading) can wait on the scheduler's queue lock there, which
        // BlockHound reported once in CI.
        sensor = new TemperatureSensor(properties.sensorPeriod());
        CoapServer coapSpec = CoapServer.create().port(properties.coapPort()).metrics(registry).observations(observations)
                .idleTimeout(properties.idleTimeout())
                .route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hello from the CoAP server")))
                        .observable("/sensors/temp", req -> sensor.readings()));
        coapServer = coapSpec
                .dtls(DtlsServer.psk("sluice-web", id -> properties.pskIdentity().equals(new String(id, StandardCharsets.UTF_8)) ? key : null)
                        .metrics(registry))
                .bind().block(START);
        // The same resources over CoAP-over-WebSockets, on the service's own HTTP port: WebFlux takes
        // the upgrade at /.well-known/coap (CoapOverWebSocket) and hands each connection to this server.
        coapWebSockets = coapSpec.webSocketUpgrades();
        coap = CoapClient.create().metrics(registry).observations(observations).dtls(DtlsClient.psk(properties.pskIdentity(), key).metrics(registry))
                .connect("coaps://127.0.0.1:" + coapServer.localAddress().getPort()).block(START);

        peerServer = Peer.create(PROTOCOL).metrics(registry).observations(observations)
                .dispatch(Dispatch.create()
                        .handle(ECHO, (call, text) -> Mono.just("echo: " + text))
                        .handle(TICKS, (call, count) -> Flux.range(1, Integer.parseInt(count.trim())).map(i -> "tick " + i)))
                .listen(PeerEndpoint.tcp("127.0.0.1", properties.peerPort()))
                .start().block(START);
        peerClient = Peer.create(PROTOCOL).metrics(registry).observations(observations).connectTo(PeerEndpoint.tcp((InetSocketAddress) peerServer.listenAddresses().get(0)))
                .start().block(START);
        peer = peerClient.connect();

        messageSwitch = new MessageSwitch(Duration.ofMillis(250), 11);
        messagingServer = MessagingServer.create().port(properties.messagingPort()).metrics(registry)
                .authenticator(Authenticator.of(List.of(new Account("gateway",
                        ScramCredential.fromPassword("gateway-password".toCharArray(), 4096), Set.of("operator"), null)), Map.of()))
                .authorization(FacilityAuthorization.byRole(Map.of("operator", Set.of("switch"))))
                .facility(messageSwitch.dispatch())
                .bindNow(START);
        messaging = MessagingClient.create(SwitchFacility.SWITCH)
                .open("127.0.0.1", messagingServer.port(), Credentials.password("gateway", "gateway-password".toCharArray()).role("operator"))
                .block(START);
    }

    /** @return the CoAP server */
    public LiveCoapServer coapServer() {
        return coapServer;
    }

    /** @return the CoAP server behind the HTTP port's {@code /.well-known/coap} WebSocket upgrade */
    public LiveCoapServer coapWebSockets() {
        return coapWebSockets;
    }

    /** @return the service's CoAP client session (coaps, PSK) */
    public CoapSession coap() {
        return coap;
    }

    /** @return the peer client session */
    public PeerSession peer() {
        return peer;
    }

    /** @return the peer server */
    public LivePeer peerServer() {
        return peerServer;
    }

    /** @return the messaging session (authenticated as the switch operator) */
    public MessagingSession messaging() {
        return messaging;
    }

    /** @return the messaging server */
    public LiveMessagingServer messagingServer() {
        return messagingServer;
    }

    /** @return the registry the SDK's meters are in */
    public MeterRegistry registry() {
        return registry;
    }

    /** @return sensor notifications dropped for slow HTTP clients */
    public long droppedNotifications() {
        return droppedNotifications.sum();
    }

    @Override
    public void destroy() {
        messaging.dispose();
        messagingServer.disposeNow(START);
        messageSwitch.dispose();
        peerClient.disposeNow(START);
        peerServer.disposeNow(START);
        coap.release();
        coapServer.dispose();
        coapWebSockets.dispose();
        sensor.dispose();
    }
}
