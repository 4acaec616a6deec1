package io.sluice.ice;

import io.sluice.codec.Limits;
import io.sluice.metrics.SluiceMeters;
import io.sluice.wiretap.Wiretap;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Listens for ICE connections ({@code IceListenForConnections}) on UNIX sockets and TCP ports.
 * Immutable spec; each setter returns a copy; {@link #bind()} returns the live listener:
 *
 * <pre>{@code
 * LiveIceListener listener = IceListener.create()
 *         .unix(Path.of("/tmp/.ICE-unix/sm")).tcp("127.0.0.1", 0)
 *         .protocols(xsmp)
 *         .authority(IceAuthority.empty().withNewCookies(...))   // or hostBasedAuth(...)
 *         .bind().block();
 * String sessionManager = listener.networkIds();                 // IceComposeNetworkIdList
 * listener.connections().subscribe(connection -> ...);
 * }</pre>
 *
 * <p>A UNIX socket is announced as {@code local/<host name>:<path>}, a TCP port as
 * {@code tcp/<bind address>:<port>}; authentication entries are keyed by those strings.
 * Connection setups are authenticated with the listener's methods and authority (by default
 * MIT-MAGIC-COOKIE-1, usable where the authority holds a cookie for {@code ICE} on the listener's
 * network ID); a peer that offers no usable method is admitted only by host-based
 * authentication ({@code IceSetHostBasedAuthProc}), never by default.
 */
public final class IceListener {

    private record Transport(Path unixPath, String host, int port) {
    }

    private final IceSide side;
    private final List<Transport> transports;
    private final Duration acceptTimeout;
    private final int backlog;

    private IceListener(IceSide side, List<Transport> transports, Duration acceptTimeout, int backlog) {
        this.side = side;
        this.transports = List.copyOf(transports);
        this.acceptTimeout = acceptTimeout;
        this.backlog = backlog;
    }

    /**
     * @return a listener spec with no transports yet, vendor "Sluice", release "0.1", default
     *     limits, no protocols, MIT-MAGIC-COOKIE-1 with an empty authority, no host-based
     *     authentication, a 30 s accept timeout, 64 connections waiting to be accepted at most
     */
    public static IceListener create() {
        return new IceListener(new IceSide("Sluice", "0.1", Limits.defaults(), List.of(), IceAuthority.empty(),
                List.of(IceAuthMethod.mitMagicCookie1()), null, IceConnections.shared(), io.sluice.metrics.Telemetry.NONE), List.of(), Duration.ofSeconds(30), 64);
    }

    private IceListener with(IceSide s) {
        return new IceListener(s, transports, acceptTimeout, backlog);
    }

    /**
     * @param path the UNIX socket to create (an existing socket file there is replaced)
     * @return a copy
     */
    public IceListener unix(Path path) {
        List<Transport> t = new ArrayList<>(transports);
        t.add(new Transport(Objects.requireNonNull(path), null, 0));
        return new IceListener(side, t, acceptTimeout, backlog);
    }

    /**
     * @param host the address to bind, e.g. 127.0.0.1
     * @param port the port, 0 for any
     * @return a copy
     */
    public IceListener tcp(String host, int port) {
        List<Transport> t = new ArrayList<>(transports);
        t.add(new Transport(null, Objects.requireNonNull(host), port));
        return new IceListener(side, t, acceptTimeout, backlog);
    }

    /**
     * @param vendor the ICE vendor to announce in the connection reply (libICE: {@code IceVendorString})
     * @param release the ICE release to announce (libICE: {@code IceReleaseString})
     * @return a copy
     */
    public IceListener vendor(String vendor, String release) {
        return with(side.withVendor(Objects.requireNonNull(vendor, "vendor"), Objects.requireNonNull(release, "release")));
    }

    /**
     * @param limits decoder limits
     * @return a copy
     */
    public IceListener limits(Limits limits) {
        return with(side.withLimits(Objects.requireNonNull(limits)));
    }

    /**
     * Registers the protocols accepted (and set up) on accepted connections
     * ({@code IceRegisterForProtocolReply}); their major opcodes are 1, 2, ... in this order.
     *
     * @param protocols the protocols
     * @return a copy
     */
    public IceListener protocols(IceProtocol... protocols) {
        return with(side.withProtocols(List.of(protocols)));
    }

    /**
     * @param authority the entries this listener accepts ({@code IceSetPaAuthData})
     * @return a copy
     */
    public IceListener authority(IceAuthority authority) {
        return with(side.withAuthority(Objects.requireNonNull(authority)));
    }

    /**
     * @param methods the methods for the connection setup, in preference order
     * @return a copy
     */
    public IceListener authMethods(IceAuthMethod... methods) {
        return with(side.withAuthMethods(List.of(methods)));
    }

    /**
     * @param check host-based authentication for connection setups: gets {@code "tcp/<address>"}
     *     or {@code "local/<host>"} when no method applies or authentication failed and the
     *     originator did not demand it; true admits; null turns it off
     * @return a copy
     */
    public IceListener hostBasedAuth(Predicate<String> check) {
        return with(side.withHostBasedAuth(check));
    }

    /**
     * @param registry where accepted connections are watched
     * @return a copy
     */
    public IceListener registry(IceConnections registry) {
        return with(side.withRegistry(Objects.requireNonNull(registry)));
    }

    /**
     * @param timeout how long an accepted connection may stay pending before it is rejected
     * @return a copy
     */
    public IceListener acceptTimeout(Duration timeout) {
        return new IceListener(side, transports, Objects.requireNonNull(timeout), backlog);
    }

    /**
     * @param connections how many connections may wait for {@link LiveIceListener#accept()}; more are closed at once
     * @return a copy
     */
    public IceListener backlog(int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("backlog must be positive");
        }
        return new IceListener(side, transports, acceptTimeout, connections);
    }

    /**
     * Binds every transport. Runs off the event loops (it removes stale socket files and looks up
     * the host name).
     *
     * @return the live listener; fails if any transport cannot be bound (the others are closed)
     */
    public Mono<LiveIceListener> bind() {
        if (transports.isEmpty()) {
            return Mono.error(new IllegalStateException("no transport to listen on: add unix(path) or tcp(host, port)"));
        }
        return Mono.fromCallable(() -> {
            for (Transport t : transports) {
                if (t.unixPath() != null) {
                    Files.deleteIfExists(t.unixPath());
                }
            }
            return localHostName();
        }).subscribeOn(Schedulers.boundedElastic()).flatMap(hostName -> {
            LiveIceListener live = new LiveIceListener(side, acceptTimeout, backlog);
            return reactor.core.publisher.Flux.fromIterable(transports)
                    .concatMap(t -> t.unixPath() != null ? live.bindUnix(t.unixPath(), "local/" + hostName + ":" + t.unixPath())
                            : live.bindTcp(new InetSocketAddress(t.host(), t.port()), t.host()))
                    .then(Mono.just(live))
                    .onErrorResume(e -> {
                        live.dispose();
                        return Mono.error(e instanceof IOException io ? new java.io.UncheckedIOException(io) : e);
                    });
        });
    }

    private static volatile String hostName;

    /** The local host name, looked up once (off the loops: it may ask DNS). */
    static String localHostName() {
        String h = hostName;
        if (h == null) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                h = "localhost";
            }
            hostName = h;
        }
        return h;
    }

    /**
     * Records the meters of this listener's accepted connections in {@code registry}: open connections by
     * role, messages each way, pings sent and answered; connections refused and rejected (the
     * README's "Observing Sluice"). Needs Micrometer on the class path.
     *
     * @param registry where to record
     * @return a copy
     */
    public IceListener metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        return with(side.withObserving(side.observing().withMeters(SluiceMeters.of(registry))));
    }

    /**
     * @param enable record meters in Micrometer's global registry (true), or nowhere (false, the default)
     * @return a copy
     * @throws UnsupportedOperationException when enabling without Micrometer on the class path
     */
    public IceListener metrics(boolean enable) {
        return with(side.withObserving(side.observing().withMeters(SluiceMeters.global(enable))));
    }

    /**
     * @param enable log every ICE message read and written (kind, major/minor opcode, length) at
     *     DEBUG under {@code io.sluice.wiretap.ice}, with a hex dump at TRACE; or nothing (the default)
     * @return a copy
     */
    public IceListener wiretap(boolean enable) {
        return with(side.withObserving(side.observing().withWiretap(Wiretap.of("ice", enable))));
    }

    /**
     * @param category the SLF4J logger to log messages to
     * @param level the level of the one-line messages (hex dumps at TRACE)
     * @return a copy
     */
    public IceListener wiretap(String category, org.slf4j.event.Level level) {
        return with(side.withObserving(side.observing().withWiretap(Wiretap.of(category, level))));
    }

}
