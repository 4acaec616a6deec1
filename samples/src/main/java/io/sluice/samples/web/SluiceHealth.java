package io.sluice.samples.web;

import io.sluice.coap.CoapSessionState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator health read from the SDK's own views: the CoAP server, the client session, the peer and
 * messaging servers. (The meters are the SDK's own: every spec in {@link SluiceBackends} records
 * into Spring Boot's registry.)
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
}
