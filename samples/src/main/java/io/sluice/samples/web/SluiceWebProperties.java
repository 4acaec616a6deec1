package io.sluice.samples.web;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's settings, under {@code sluice.*} (see {@code application.properties}).
 *
 * @param coapPort the CoAP-over-DTLS server's port; 0 picks one
 * @param peerPort the peer server's TCP port; 0 picks one
 * @param messagingPort the messaging server's port; 0 picks one
 * @param pskIdentity the PSK identity the service's CoAP client uses
 * @param pskKey the pre-shared key (text)
 * @param idleTimeout how long idle CoAP server sessions stay in the pool
 * @param sensorPeriod how often the sample sensor changes
 * @param httpSendBuffer the HTTP sockets' SO_SNDBUF in bytes, 0 for the system's; a small one
 *     makes a stalled browser push back sooner (the kernel may grow an unset buffer to megabytes)
 */
@ConfigurationProperties(prefix = "sluice")
public record SluiceWebProperties(int coapPort, int peerPort, int messagingPort, String pskIdentity, String pskKey,
        Duration idleTimeout, Duration sensorPeriod, int httpSendBuffer) {

    /** Fills what is not configured with the defaults. */
    public SluiceWebProperties {
        pskIdentity = pskIdentity == null ? "web-gateway" : pskIdentity;
        pskKey = pskKey == null ? "sluice-web-demo-key" : pskKey;
        idleTimeout = idleTimeout == null ? Duration.ofMinutes(5) : idleTimeout;
        sensorPeriod = sensorPeriod == null ? Duration.ofMillis(500) : sensorPeriod;
    }
}
