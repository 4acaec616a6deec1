package io.sluice.samples.xsmp;

import io.sluice.codec.ice.IceMessage;
import io.sluice.ice.IceAuthMethod;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceConnector;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * An XSMP client: opens ICE to a session manager, sets up XSMP, registers, answers every
 * SaveYourself with SaveYourselfDone (success) and answers Die with CloseConnection before closing
 * its ICE connection, as libSM's {@code SmcCloseConnection} does; sets, deletes and reads its
 * properties. It never asks to interact or for a second save phase. What happens is reported on
 * {@link #events()}. Thread-safe.
 */
public final class XsmpClient {

    private static final IceProtocol XSMP = IceProtocol.of(Xsmp.PROTOCOL_NAME, "Sluice", "0.1", Xsmp.VERSION)
            .withAuth(IceAuthMethod.mitMagicCookie1());

    private final IceProtocolSession session;
    private final String clientId;
    private final Sinks.Many<String> events = Sinks.many().replay().limit(256);

    private XsmpClient(IceProtocolSession session, String clientId) {
        this.session = session;
        this.clientId = clientId;
    }

    /**
     * @param networkIds the session manager's network-ID list ({@code SESSION_MANAGER})
     * @param authority the cookies to authenticate with
     * @return the registered client
     */
    public static Mono<XsmpClient> register(String networkIds, IceAuthority authority) {
        return IceConnector.create().vendor("SluiceClient", "0.1").protocols(XSMP).authority(authority).mustAuthenticate(true)
                // Shared like libSM's connections, except with one that already carries XSMP (major_opcode_check).
                .open(networkIds, null, XSMP)
                .flatMap(connection -> connection.setup(XSMP, true))
                .flatMap(session -> session.request(Xsmp.REGISTER_CLIENT, 0, 0, Xsmp.array8("", ByteOrder.BIG_ENDIAN), Set.of(Xsmp.REGISTER_CLIENT_REPLY))
                        .map(reply -> new XsmpClient(session, Xsmp.readArray8(Xsmp.body(reply.body(), session.connection().peerByteOrder()))))
                        .doOnNext(XsmpClient::follow));
    }

    /** @return the client ID the session manager gave */
    public String clientId() {
        return clientId;
    }

    /**
     * Sets properties with the session manager (SetProperties); a property replaces the one of
     * the same name.
     *
     * @param properties the properties
     * @return completes when the message is written
     */
    public Mono<Void> setProperties(List<XsmpProperty> properties) {
        return session.send(Xsmp.SET_PROPERTIES, 0, 0, Xsmp.listOfProperty(properties, ByteOrder.BIG_ENDIAN));
    }

    /**
     * @param names the properties to delete (DeleteProperties)
     * @return completes when the message is written
     */
    public Mono<Void> deleteProperties(List<String> names) {
        return session.send(Xsmp.DELETE_PROPERTIES, 0, 0, Xsmp.listOfArray8(names, ByteOrder.BIG_ENDIAN));
    }

    /** @return the properties the session manager keeps for this client (GetProperties / PropertiesReply) */
    public Mono<List<XsmpProperty>> properties() {
        return session.request(Xsmp.GET_PROPERTIES, 0, 0, new byte[0], Set.of(Xsmp.PROPERTIES_REPLY))
                .map(reply -> Xsmp.readListOfProperty(Xsmp.body(reply.body(), session.connection().peerByteOrder())));
    }

    /** The ICE connection the client speaks XSMP on; for tests that look at what the manager sent besides XSMP. */
    IceConnection connection() {
        return session.connection();
    }

    /** Sends any XSMP message as given; for tests of the session manager's handling of bad input. */
    Mono<Void> sendRaw(int minorOpcode, byte[] body) {
        return session.send(minorOpcode, 0, 0, body);
    }

    /** @return what happened, as lines; completes when the connection is closed */
    public Flux<String> events() {
        return events.asFlux();
    }

    private void follow() {
        session.messages().concatMap(this::answer).subscribe(v -> { }, e -> events.tryEmitError(e), events::tryEmitComplete);
    }

    private Mono<Void> answer(IceMessage.Generic m) {
        switch (m.minorOpcode()) {
            case Xsmp.SAVE_YOURSELF -> {
                byte[] b = m.body();
                events.tryEmitNext("SaveYourself (type " + b[0] + ", shutdown " + (b[1] != 0) + ") -> saved, SaveYourselfDone");
                return session.send(Xsmp.SAVE_YOURSELF_DONE, 1, 0, new byte[0]);
            }
            case Xsmp.SAVE_COMPLETE -> {
                events.tryEmitNext("SaveComplete");
                return Mono.empty();
            }
            case Xsmp.SHUTDOWN_CANCELLED -> {
                events.tryEmitNext("ShutdownCancelled");
                return Mono.empty();
            }
            case Xsmp.PROPERTIES_REPLY -> {
                return Mono.empty(); // the answer to properties(), which awaits it by sequence number
            }
            case Xsmp.DIE -> {
                events.tryEmitNext("Die -> CloseConnection");
                IceConnection connection = session.connection();
                return session.send(Xsmp.CLOSE_CONNECTION, 0, 0, Xsmp.listOfArray8(List.of("done"), ByteOrder.BIG_ENDIAN))
                        .doFinally(s -> {
                            session.shutdown();
                            connection.shutdownNegotiation(false);
                            connection.close().subscribe(c -> events.tryEmitComplete(), e -> events.tryEmitComplete());
                        });
            }
            default -> {
                events.tryEmitNext("XSMP minor opcode " + m.minorOpcode() + " ignored");
                return Mono.empty();
            }
        }
    }
}
