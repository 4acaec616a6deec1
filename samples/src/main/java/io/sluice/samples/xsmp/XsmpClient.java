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
 * its ICE connection, as libSM's {@code SmcCloseConnection} does. What happens is reported on
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
                .open(networkIds)
                .flatMap(connection -> connection.setup(XSMP, true))
                .flatMap(session -> session.request(Xsmp.REGISTER_CLIENT, 0, 0, Xsmp.array8("", ByteOrder.BIG_ENDIAN), Set.of(Xsmp.REGISTER_CLIENT_REPLY))
                        .map(reply -> new XsmpClient(session, Xsmp.readArray8(Xsmp.body(reply.body(), session.connection().peerByteOrder()))))
                        .doOnNext(XsmpClient::follow));
    }

    /** @return the client ID the session manager gave */
    public String clientId() {
        return clientId;
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
