package io.sluice.messaging;

import io.netty.handler.ssl.SslContext;
import io.sluice.messaging.sasl.Nonces;
import io.sluice.peer.LivePeer;
import io.sluice.peer.Peer;
import io.sluice.peer.PeerEndpoint;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A messaging client, as a spec (SOM's session object before it is opened): the facilities its
 * sessions will use, the SASL service name, and TLS. {@link #open} connects, authenticates and
 * gives a {@link MessagingSession}.
 *
 * <pre>{@code
 * MessagingSession session = MessagingClient.create(SWITCH)
 *         .tls(SecurityEnvironment.fromDirectory(Path.of("client-env"), passphrase))
 *         .open("switch.example", 18000, Credentials.password("alice", password))
 *         .block();
 * }</pre>
 *
 * <p>TLS comes in three forms: none (the default), {@link #tls(SecurityEnvironment)} (the server
 * is verified when the environment holds trusted CAs, and this side presents its identity when it
 * holds one), and {@link #tlsWithoutVerification()} (SOM's null environment: encrypted but neither
 * side verified, logged as a warning on every open). Immutable and thread-safe.
 */
public final class MessagingClient {

    private static final Logger LOG = Loggers.getLogger(MessagingClient.class);

    private record Config(List<Facility> facilities, String service, SecurityEnvironment tls, boolean tlsUnverified,
                          Duration timeout, SluiceMeters meters, Wiretap wiretap) {
    }

    private final Config config;

    private MessagingClient(Config config) {
        this.config = config;
    }

    /**
     * A client whose sessions use {@code facilities} (at least one, as in SOM), with service
     * {@code som}, no TLS and a 10 s timeout for connecting and authenticating. A session stays
     * open without calls for as long as the server lets it (see
     * {@link MessagingServer#idleTimeout(Duration)}). Both sides ping every 15 s when nothing else
     * goes; a server heard from for none of three of its own intervals is gone, and the session
     * ends with {@link MessagingEvent.ConnectionLost}.
     *
     * @param facilities the facilities
     * @return the spec
     */
    public static MessagingClient create(Facility... facilities) {
        if (facilities.length == 0) {
            throw new IllegalArgumentException("name at least one facility the sessions will use");
        }
        Set<Facility> set = new LinkedHashSet<>();
        for (Facility f : facilities) {
            if (f == Facility.ALL) {
                throw new IllegalArgumentException("Facility.ALL is for clear(); name the facilities a session uses");
            }
            set.add(Objects.requireNonNull(f, "facility"));
        }
        SessionProtocol.with(set);
        return new MessagingClient(new Config(List.copyOf(set), MessagingServer.DEFAULT_SERVICE, null, false, Duration.ofSeconds(10), SluiceMeters.none(), Wiretap.off()));
    }

    /**
     * @param service the SASL service name (SOM's {@code SOMSetService}); defaults to {@code som}
     * @return the new spec
     */
    public MessagingClient service(String service) {
        Config c = config;
        return new MessagingClient(new Config(c.facilities, Objects.requireNonNull(service, "service"), c.tls, c.tlsUnverified, c.timeout, c.meters, c.wiretap));
    }

    /**
     * TLS from a security environment (SOM's {@code SOMSessionSetTLS} with a directory).
     *
     * @param environment trusted CAs verify the server; an identity lets the client prove itself
     * @return the new spec
     */
    public MessagingClient tls(SecurityEnvironment environment) {
        Config c = config;
        return new MessagingClient(new Config(c.facilities, c.service, Objects.requireNonNull(environment, "environment"), false, c.timeout, c.meters, c.wiretap));
    }

    /**
     * TLS that verifies neither side (SOM's {@code SOMSessionSetTLS} with a null environment):
     * the traffic is encrypted, but any server is believed. Each open logs a warning.
     *
     * @return the new spec
     */
    public MessagingClient tlsWithoutVerification() {
        Config c = config;
        return new MessagingClient(new Config(c.facilities, c.service, null, true, c.timeout, c.meters, c.wiretap));
    }

    /**
     * @param timeout for connecting and for each authentication step
     * @return the new spec
     */
    public MessagingClient timeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the timeout must be positive, was " + timeout);
        }
        Config c = config;
        return new MessagingClient(new Config(c.facilities, c.service, c.tls, c.tlsUnverified, timeout, c.meters, c.wiretap));
    }

    /** @return the facilities */
    public List<Facility> facilities() {
        return config.facilities;
    }

    /**
     * Opens a session (SOM's {@code SOMSessionOpen}/{@code SOMSessionOpenMech}): connects, asks the
     * server for its mechanisms, authenticates. Nothing happens until subscription; cancelling
     * closes the connection.
     *
     * @param host the server's host name or address
     * @param port the server's port
     * @param credentials who to authenticate as
     * @return the open, authenticated session; fails with a {@link MessagingException} (connect,
     *     TLS, service, unknown facility) or a {@code SaslException} (mechanism not offered, wrong
     *     credentials, role not allowed)
     */
    public Mono<MessagingSession> open(String host, int port, Credentials credentials) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(credentials, "credentials");
        return connect(host, port).flatMap(live -> {
            MessagingSession session = new MessagingSession(this, host, port, live);
            return session.authenticate(credentials).thenReturn(session)
                    .doOnCancel(live::dispose)
                    .onErrorResume(e -> {
                        live.dispose();
                        return Mono.error(e);
                    });
        });
    }

    /**
     * Records the peer meters of the sessions this client opens in {@code registry} (calls by
     * facility operation and status, connections). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return the new spec
     */
    public MessagingClient metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        Config c = config;
        return new MessagingClient(new Config(c.facilities, c.service, c.tls, c.tlsUnverified, c.timeout, SluiceMeters.of(registry), c.wiretap));
    }

    /**
     * @param enable log every session frame read and written at DEBUG under {@code io.sluice.wiretap.peer},
     *     or nothing (false, the default)
     * @return the new spec
     */
    public MessagingClient wiretap(boolean enable) {
        Config c = config;
        return new MessagingClient(new Config(c.facilities, c.service, c.tls, c.tlsUnverified, c.timeout, c.meters, Wiretap.of("peer", enable)));
    }

    /** Starts a peer connecting to {@code host:port} with this spec's TLS; connects on its first call. */
    Mono<LivePeer> connect(String host, int port) {
        return Mono.defer(() -> {
            Peer peer = Peer.create(SessionProtocol.with(config.facilities)).connectTo(PeerEndpoint.tcp(host, port))
                    // No idle rule: a management session waits between an operator's commands for as
                    // long as it is open; keep-alive pings still find a server that went away.
                    .timeouts(config.timeout, Duration.ZERO, Duration.ZERO)
                    .metrics(config.meters)
                    .wiretap(config.wiretap);
            SslContext tls = null;
            if (config.tls != null) {
                if (!config.tls.verifiesPeer()) {
                    LOG.warn("TLS to {}:{} without verifying the server: {} holds no trusted CAs", host, port, config.tls.directory());
                }
                tls = config.tls.clientContext();
            } else if (config.tlsUnverified) {
                LOG.warn("TLS to {}:{} without verification: the server is not verified and the client presents no identity",
                        host, port);
                tls = SecurityEnvironment.unverifiedClientContext();
            }
            if (tls != null) {
                peer = peer.secure(tls);
            }
            return Nonces.ready().then(peer.start());
        });
    }

    String service() {
        return config.service;
    }

    Duration timeout() {
        return config.timeout;
    }

    @Override
    public String toString() {
        return "MessagingClient[" + config.facilities.stream().map(Facility::name).toList() + ", service " + config.service
                + (config.tls != null ? ", TLS " + config.tls.directory() : config.tlsUnverified ? ", TLS without verification" : "") + "]";
    }
}
