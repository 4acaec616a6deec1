package io.sluice.samples.web;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.coap.CoapSessionState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator health and Micrometer gauges read from the SDK's own views: the CoAP server's sessions,
 * idle pool and counters, the peer server's clients and the messaging server's sessions.
 */
@Configuration(proxyBeanMethods = false)
public class SluiceHealth {

    /**
     * @param backends the Sluice servers and sessions
     * @return UP while every server is live and the gateway's sessions are usable
     */
    @Bean
    public HealthIndicator sluice(SluiceBackends backends) {
        return () -> {
            boolean coapUp = !backends.coapServer().isDisposed() && backends.coap().state() == CoapSessionState.ESTABLISHED;
            boolean peerUp = !backends.peerServer().isDisposed();
            boolean messagingUp = !backends.messagingServer().isDisposed() && backends.messaging().authenticated();
            Health.Builder health = coapUp && peerUp && messagingUp ? Health.up() : Health.down();
            return health.withDetail("coap", backends.coapServer().protocol() + " " + backends.coapServer().localAddress()
                            + ", client session " + backends.coap().state())
                    .withDetail("peer", backends.peerServer().listenAddresses().toString())
                    .withDetail("messaging", "port " + backends.messagingServer().port() + ", authenticated " + backends.messaging().authenticated())
                    .build();
        };
    }

    /**
     * @param backends the Sluice servers and sessions
     * @return gauges under {@code sluice.*}
     */
    @Bean
    public MeterBinder sluiceMetrics(SluiceBackends backends) {
        return (MeterRegistry registry) -> {
            Gauge.builder("sluice.coap.sessions", backends, b -> b.coapServer().sessions().size())
                    .description("live CoAP server sessions").register(registry);
            Gauge.builder("sluice.coap.sessions.idle", backends, b -> b.coapServer().idleSessions())
                    .description("CoAP server sessions in the idle pool").register(registry);
            Gauge.builder("sluice.coap.datagrams.malformed", backends, b -> b.coapServer().malformedDatagrams())
                    .description("datagrams dropped as malformed or oversized").register(registry);
            Gauge.builder("sluice.coap.requests.duplicate", backends, b -> b.coapServer().duplicateRequests())
                    .description("duplicate CoAP requests recognised by message ID").register(registry);
            Gauge.builder("sluice.coap.notifications.dropped", backends, SluiceBackends::droppedNotifications)
                    .description("observe notifications dropped for slow HTTP clients").register(registry);
            Gauge.builder("sluice.peer.clients", backends, b -> b.peerServer().activeClients())
                    .description("connected peer clients").register(registry);
            Gauge.builder("sluice.messaging.sessions", backends, b -> b.messagingServer().sessions().size())
                    .description("messaging sessions").register(registry);
        };
    }
}
