package io.sluice.messaging;

import io.sluice.messaging.sasl.Authenticated;
import java.net.SocketAddress;
import java.util.Map;

/**
 * A snapshot of one session on a {@link LiveMessagingServer}.
 *
 * @param remoteAddress the client's address
 * @param tls whether the connection has TLS
 * @param user who the session authenticated as, or null before authentication
 * @param objects the live subordinate objects by facility name
 */
public record ServerSessionInfo(SocketAddress remoteAddress, boolean tls, Authenticated user, Map<String, Integer> objects) {

    /**
     * Copies the object counts.
     *
     * @param remoteAddress the client's address
     * @param tls whether the connection has TLS
     * @param user who the session authenticated as, or null
     * @param objects the live subordinate objects by facility name
     */
    public ServerSessionInfo {
        objects = Map.copyOf(objects);
    }
}
