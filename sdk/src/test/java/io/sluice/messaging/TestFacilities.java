package io.sluice.messaging;

import io.sluice.codec.Fields;
import io.sluice.codec.MessageCodec;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.ScramCredential;
import io.sluice.peer.CallType;
import io.sluice.peer.PayloadCodecs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Two small facilities and a user store for the messaging tests. */
final class TestFacilities {

    static final MessageCodec<Long> LONG = Fields.codec((v, out) -> Fields.writeInt64(out, v), r -> r.int64("value"));

    static final CallType<String, String> WHOAMI = CallType.unary(100, "test.whoami", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<Long, Long> TICKS = CallType.stream(101, "test.ticks", LONG, LONG);
    static final CallType<String, String> HANG = CallType.unary(102, "test.hang", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final Facility TEST = Facility.of("test", WHOAMI, TICKS, HANG);

    static final CallType<String, String> READ_LOG = CallType.unary(110, "audit.read", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final Facility AUDIT = Facility.of("audit", READ_LOG);

    static final Authenticator USERS = Authenticator.of(List.of(
            new Account("alice", ScramCredential.fromPassword("pencil".toCharArray(), 4096), Set.of("auditor"), "pencil".toCharArray()),
            new Account("bob", ScramCredential.fromPassword("hunter2".toCharArray(), 4096), Set.of(), null)),
            Map.of("CN=carol", "carol"));

    static final FacilityAuthorization ROLES = FacilityAuthorization.byRole(Map.of(
            "alice", Set.of("test"),
            "bob", Set.of("test"),
            "carol", Set.of("test", "audit"),
            "auditor", Set.of("audit"),
            "anonymous", Set.of("test")));

    private TestFacilities() {
    }

    static MessagingServer server() {
        return MessagingServer.create()
                .authenticator(USERS)
                .authorization(ROLES)
                .facility(FacilityDispatch.of(TEST)
                        .handle(WHOAMI, (call, greeting) -> Mono.just(greeting + " " + call.user().user() + " as " + call.user().role()))
                        .handle(TICKS, (call, from) -> Flux.interval(Duration.ofMillis(1)).map(i -> from + i).onBackpressureDrop())
                        .handle(HANG, (call, x) -> Mono.never()))
                .facility(FacilityDispatch.of(AUDIT).handle(READ_LOG, (call, x) -> Mono.just("log for " + call.user().role())));
    }
}
