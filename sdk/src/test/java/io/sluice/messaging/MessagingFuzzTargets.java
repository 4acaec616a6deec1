package io.sluice.messaging;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;
import io.sluice.messaging.sasl.Account;
import io.sluice.messaging.sasl.Authenticator;
import io.sluice.messaging.sasl.SaslClientExchange;
import io.sluice.messaging.sasl.SaslException;
import io.sluice.messaging.sasl.SaslServerExchange;
import io.sluice.messaging.sasl.SaslStep;
import io.sluice.messaging.sasl.ScramCredential;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzz targets for what a messaging session reads from its peer: the session protocol's own
 * messages ({@code Fields} records) and SASL messages, server and client side. Run by
 * {@code io.sluice.fuzz.SdkFuzzTest} (committed inputs) and {@code io.sluice.codec.fuzz.FuzzRun}.
 */
public final class MessagingFuzzTargets {

    private static final Limits LIMITS = Limits.defaults();
    private static final List<MessageCodec<?>> CODECS = List.of(SessionProtocol.HELLO.requestCodec(), SessionProtocol.HELLO.responseCodec(),
            SessionProtocol.AUTH_START.requestCodec(), SessionProtocol.AUTH_START.responseCodec(), SessionProtocol.CLEAR.requestCodec(),
            SessionProtocol.LOGOUT.responseCodec());

    private static final char[] PASSWORD = "fuzz-password".toCharArray();
    private static final Authenticator USERS = Authenticator.of(List.of(new Account("alice", ScramCredential.fromPassword(PASSWORD, ScramCredential.DEFAULT_ITERATIONS),
            Set.of("admin"), PASSWORD)), Map.of());
    private static final List<String> OFFERED = List.of(SaslServerExchange.SCRAM_SHA_256, SaslServerExchange.ANONYMOUS,
            SaslServerExchange.EXTERNAL, SaslServerExchange.CRAM_MD5);
    private static final Pattern ITERATION_COUNT = Pattern.compile(",i=([0-9]*)");

    private MessagingFuzzTargets() {
    }

    /**
     * One of the session protocol's messages (the first byte picks which): it decodes or is refused
     * with a {@link CodecException}, and what decodes encodes to bytes that decode and encode to the
     * same bytes again.
     */
    public static void sessionProtocol(byte[] data) {
        if (data.length == 0) {
            return;
        }
        @SuppressWarnings("unchecked")
        MessageCodec<Object> codec = (MessageCodec<Object>) CODECS.get((data[0] & 0xFF) % CODECS.size());
        ByteBuf in = Unpooled.wrappedBuffer(data, 1, data.length - 1);
        Object message;
        try {
            message = codec.decode(in, LIMITS);
        } catch (CodecException e) {
            return;
        }
        byte[] once = encode(codec, message);
        byte[] twice = encode(codec, codec.decode(Unpooled.wrappedBuffer(once), LIMITS));
        if (!Arrays.equals(once, twice)) {
            throw new AssertionError("a session message did not survive a round trip: " + message);
        }
    }

    private static byte[] encode(MessageCodec<Object> codec, Object message) {
        ByteBuf out = Unpooled.buffer();
        try {
            codec.encode(message, out);
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    /**
     * A SASL exchange with one side run by Sluice and the other by the input. The first byte picks
     * the side and mechanism; the rest is up to two messages split at the first 0xFF (never a byte
     * of UTF-8). In a second SCRAM message {@code %r} stands for the combined nonce and {@code %c}
     * for the channel binding the server expects, so that inputs can get past those checks to the
     * proof. Every step answers or fails with a {@link SaslException}; anything else is a finding.
     */
    public static void sasl(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int split = 1;
        while (split < data.length && data[split] != (byte) 0xFF) {
            split++;
        }
        byte[] first = Arrays.copyOfRange(data, 1, split);
        byte[] second = split < data.length ? Arrays.copyOfRange(data, split + 1, data.length) : null;
        try {
            switch ((data[0] & 0xFF) % 6) {
                case 0 -> scramServer(first, second);
                case 1 -> oneShotServer(SaslServerExchange.ANONYMOUS, first);
                case 2 -> oneShotServer(SaslServerExchange.EXTERNAL, first);
                case 3 -> oneShotServer(SaslServerExchange.CRAM_MD5, first);
                case 4 -> scramClient(first, second);
                default -> cramMd5Client(first);
            }
        } catch (SaslException expected) {
            // refused as the mechanism's rules say
        }
    }

    private static void scramServer(byte[] clientFirst, byte[] clientFinal) {
        SaslServerExchange server = SaslServerExchange.start(SaslServerExchange.SCRAM_SHA_256, OFFERED, "som", USERS, true, null, false);
        SaslStep step = server.respond(clientFirst).block();
        if (clientFinal == null || !(step instanceof SaslStep.Challenge challenge)) {
            return;
        }
        String serverFirst = new String(challenge.data(), StandardCharsets.UTF_8);
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String text = new String(clientFirst, StandardCharsets.UTF_8);
        int gs2End = text.indexOf(',', text.indexOf(',') + 1);
        String binding = Base64.getEncoder().encodeToString(text.substring(0, gs2End + 1).getBytes(StandardCharsets.UTF_8));
        String last = new String(clientFinal, StandardCharsets.UTF_8).replace("%r", nonce).replace("%c", binding);
        server.respond(last.getBytes(StandardCharsets.UTF_8)).block();
    }

    private static void oneShotServer(String mechanism, byte[] message) {
        SaslServerExchange server = SaslServerExchange.start(mechanism, OFFERED, "som", USERS, true, null, false);
        server.initialChallenge();
        server.respond(message).block();
    }

    private static void scramClient(byte[] serverFirst, byte[] serverFinal) {
        SaslClientExchange client = SaslClientExchange.start(SaslServerExchange.SCRAM_SHA_256, "som", "localhost", "alice", PASSWORD, "");
        String clientFirst = new String(client.initialResponse(), StandardCharsets.UTF_8);
        String clientNonce = clientFirst.substring(clientFirst.indexOf(",r=") + 3);
        String challenge = new String(serverFirst, StandardCharsets.UTF_8).replace("%r", clientNonce);
        Matcher iterations = ITERATION_COUNT.matcher(challenge);
        // The client hashes the password as often as the server asks (up to its cap, which has a unit
        // test): inputs asking for more than a few rounds would only slow the search down.
        if (iterations.find() && (iterations.group(1).length() > 3 || !iterations.group(1).isEmpty() && Integer.parseInt(iterations.group(1)) > 64)) {
            return;
        }
        client.evaluate(challenge.getBytes(StandardCharsets.UTF_8));
        if (serverFinal != null) {
            client.complete(serverFinal);
        }
    }

    private static void cramMd5Client(byte[] challenge) {
        SaslClientExchange client = SaslClientExchange.start(SaslServerExchange.CRAM_MD5, "som", "localhost", "alice", PASSWORD, "");
        client.evaluate(challenge);
    }
}
