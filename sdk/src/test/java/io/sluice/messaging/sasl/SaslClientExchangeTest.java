package io.sluice.messaging.sasl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client side of SASL against a server that misbehaves. */
class SaslClientExchangeTest {

    private static String serverFirst(SaslClientExchange client, int iterations) {
        String clientFirst = new String(client.initialResponse(), StandardCharsets.UTF_8);
        String nonce = clientFirst.substring(clientFirst.indexOf(",r=") + 3) + "server-part";
        return "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(new byte[16]) + ",i=" + iterations;
    }

    @Test
    // Guards the build against the hours of hashing the defect meant; the assertion is the refusal.
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aScramIterationCountAboveTheCapIsRefusedBeforeAnyHashing() {
        SaslClientExchange client = SaslClientExchange.start("SCRAM-SHA-256", "som", "localhost", "alice", "pencil".toCharArray(), "");
        assertThatThrownBy(() -> client.evaluate(serverFirst(client, Integer.MAX_VALUE).getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SaslException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(SaslErrorCode.MALFORMED);
                    assertThat(e.getMessage()).contains("iteration count " + Integer.MAX_VALUE).contains("" + SaslClientExchange.MAX_ITERATIONS);
                });
    }

    @Test
    void aScramIterationCountAtTheCapIsAnswered() {
        SaslClientExchange client = SaslClientExchange.start("SCRAM-SHA-256", "som", "localhost", "alice", "pencil".toCharArray(), "");
        byte[] answer = client.evaluate(serverFirst(client, SaslClientExchange.MAX_ITERATIONS).getBytes(StandardCharsets.UTF_8));
        assertThat(new String(answer, StandardCharsets.UTF_8)).startsWith("c=").contains(",p=");
    }

    @Test
    void aServerFirstMessageWithoutAnIterationCountIsMalformed() {
        // Found by the sasl fuzz target: a server-first-message without its iteration count made the
        // SCRAM library fail an internal assertion (an AssertionError, not its parse exception).
        SaslClientExchange client = SaslClientExchange.start("SCRAM-SHA-256", "som", "localhost", "alice", "pencil".toCharArray(), "");
        String clientFirst = new String(client.initialResponse(), StandardCharsets.UTF_8);
        String nonce = clientFirst.substring(clientFirst.indexOf(",r=") + 3);
        byte[] challenge = ("r=" + nonce + "XYZ,s=" + Base64.getEncoder().encodeToString(new byte[16])).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> client.evaluate(challenge))
                .isInstanceOfSatisfying(SaslException.class, e -> assertThat(e.errorCode()).isEqualTo(SaslErrorCode.MALFORMED));
    }
}
