package io.sluice.soak;

import io.sluice.error.SluiceException;
import io.sluice.messaging.Credentials;
import io.sluice.messaging.Facility;
import io.sluice.messaging.FacilityAuthorization;
import io.sluice.messaging.FacilityDispatch;
import io.sluice.messaging.LiveMessagingServer;
import io.sluice.messaging.MessagingClient;
import io.sluice.messaging.MessagingServer;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.SaslErrorCode;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.CallType;
import io.sluice.peer.PayloadCodecs;
import java.util.List;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * Messaging sessions: twice a second a client connects, authenticates with SCRAM-SHA-256 (4,096
 * iterations, hashed off the event loops on both sides), calls its facility once and logs out;
 * once every ten seconds one tries a wrong password, which must be refused. An unexpected answer
 * or a failed step is an error.
 */
final class MessagingLoad extends SoakLoad {

    private static final CallType<String, String> WHOAMI = CallType.unary(100, "soak.whoami", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    private static final Facility SOAK = Facility.of("soak", WHOAMI);
    private static final char[] PASSWORD = "soak-password".toCharArray();

    private LiveMessagingServer server;
    private MessagingClient client;

    MessagingLoad() {
        super("messaging");
    }

    @Override
    void start() {
        server = MessagingServer.create().host("127.0.0.1").port(0)
                .authenticator(Authenticator.of(List.of(new Account("soak", ScramCredential.fromPassword(PASSWORD, 4096), Set.of(), null)),
                        Map.of()))
                .authorization(FacilityAuthorization.byRole(Map.of("soak", Set.of("soak"))))
                .facility(FacilityDispatch.of(SOAK).handle(WHOAMI, (call, x) -> Mono.just(call.user().user())))
                .bindNow(TIMEOUT);
        client = MessagingClient.create(SOAK);
    }

    @Override
    void slice(long n) {
        if (n % 5 == 0) {
            track(client.open("127.0.0.1", server.port(), Credentials.password("soak", PASSWORD))
                    .flatMap(session -> session.call(WHOAMI, "").doOnNext(who -> {
                        if (!who.equals("soak")) {
                            throw new IllegalStateException("authenticated as soak, the server says " + who);
                        }
                    }).then(session.close())));
        }
        if (n % 100 == 50) {
            track(client.open("127.0.0.1", server.port(), Credentials.password("soak", "wrong".toCharArray()))
                    .flatMap(session -> Mono.error(new IllegalStateException("a wrong password was accepted")))
                    .onErrorResume(e -> e instanceof SluiceException refused && refused.errorCode() == SaslErrorCode.AUTHENTICATION_FAILED,
                            e -> Mono.empty()));
        }
    }

    @Override
    int live() {
        return server.sessions().size();
    }

    @Override
    void stop() {
        server.dispose();
    }
}
