package io.sluice.messaging;

import io.sluice.codec.Fields;
import io.sluice.codec.MessageCodec;
import io.sluice.peer.CallType;
import io.sluice.peer.PayloadCodecs;
import io.sluice.peer.PeerProtocol;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The session's own calls, under the facilities' ones (tags below {@link Facility#FIRST_TAG}).
 * The layout of each message is in {@code PROTOCOL.md} next to this class.
 */
final class SessionProtocol {

    /** The client's first call: the SASL service it wants. */
    record Hello(String service) {
    }

    /** The server's answer: who it is, the mechanisms it offers on this connection, its facilities. */
    record ServerHello(String serverName, List<String> mechanisms, List<String> facilities, boolean tls) {
    }

    /** Starts a SASL exchange; {@code initial} is null when the client sends no initial response. */
    record AuthStart(String mechanism, byte[] initial) {
    }

    /** One server step: a challenge, or success with the mechanism's last data and who was authenticated. */
    record AuthStep(boolean done, byte[] data, String mechanism, String user, String role, boolean anonymous) {
    }

    private static final MessageCodec<Hello> HELLO_CODEC = Fields.codec((m, out) -> Fields.writeString(out, m.service()),
            r -> new Hello(r.string("service")));

    private static final MessageCodec<ServerHello> SERVER_HELLO_CODEC = Fields.codec((m, out) -> {
        Fields.writeString(out, m.serverName());
        Fields.writeList(out, m.mechanisms(), Fields::writeString);
        Fields.writeList(out, m.facilities(), Fields::writeString);
        Fields.writeBool(out, m.tls());
    }, r -> new ServerHello(r.string("server name"), r.list("mechanisms", x -> x.string("mechanism")),
            r.list("facilities", x -> x.string("facility")), r.bool("tls")));

    private static final MessageCodec<AuthStart> AUTH_START_CODEC = Fields.codec((m, out) -> {
        Fields.writeString(out, m.mechanism());
        Fields.writeBool(out, m.initial() != null);
        Fields.writeBytes(out, m.initial() == null ? new byte[0] : m.initial());
    }, r -> {
        String mechanism = r.string("mechanism");
        boolean has = r.bool("has initial response");
        byte[] initial = r.bytes("initial response");
        return new AuthStart(mechanism, has ? initial : null);
    });

    private static final MessageCodec<AuthStep> AUTH_STEP_CODEC = Fields.codec((m, out) -> {
        Fields.writeBool(out, m.done());
        Fields.writeBytes(out, m.data());
        Fields.writeString(out, m.mechanism());
        Fields.writeString(out, m.user());
        Fields.writeString(out, m.role());
        Fields.writeBool(out, m.anonymous());
    }, r -> new AuthStep(r.bool("done"), r.bytes("data"), r.string("mechanism"), r.string("user"), r.string("role"),
            r.bool("anonymous")));

    private static final MessageCodec<List<String>> NAMES_CODEC = Fields.codec((m, out) -> Fields.writeList(out, m, Fields::writeString),
            r -> r.list("facility names", x -> x.string("facility name")));

    private static final MessageCodec<Integer> COUNT_CODEC = Fields.codec((m, out) -> Fields.writeInt32(out, m),
            r -> r.int32("count"));

    static final CallType<Hello, ServerHello> HELLO = CallType.unary(1, "som.hello", HELLO_CODEC, SERVER_HELLO_CODEC);
    static final CallType<AuthStart, AuthStep> AUTH_START = CallType.unary(2, "som.auth-start", AUTH_START_CODEC, AUTH_STEP_CODEC);
    static final CallType<byte[], AuthStep> AUTH_STEP = CallType.unary(3, "som.auth-step", PayloadCodecs.bytes(), AUTH_STEP_CODEC);
    /** Ends the authentication (the server releases the session's objects); the answer is how many it released. */
    static final CallType<byte[], Integer> LOGOUT = CallType.unary(4, "som.logout", PayloadCodecs.bytes(), COUNT_CODEC);
    /** Releases the objects of the named facilities (none named: all); the answer is how many. */
    static final CallType<List<String>, Integer> CLEAR = CallType.unary(5, "som.clear", NAMES_CODEC, COUNT_CODEC);

    private SessionProtocol() {
    }

    static PeerProtocol with(Collection<Facility> facilities) {
        List<CallType<?, ?>> all = new ArrayList<>(List.of(HELLO, AUTH_START, AUTH_STEP, LOGOUT, CLEAR));
        for (Facility f : facilities) {
            for (CallType<?, ?> c : f.calls()) {
                for (CallType<?, ?> seen : all) {
                    if (seen.tag() == c.tag()) {
                        throw new IllegalArgumentException(f + " uses tag " + c.tag() + ", which " + seen + " has already");
                    }
                }
                all.add(c);
            }
        }
        return PeerProtocol.of(all.toArray(CallType<?, ?>[]::new));
    }
}
