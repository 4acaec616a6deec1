package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * RFC 7641 §3.3.1 on the client: a notification is fresh for its Max-Age; when it passes with
 * nothing newer (the next notification may have been lost), the client registers again under the
 * same token and takes the answer as the current state, whatever its Observe number.
 */
class CoapObserveFreshnessTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aClientRegistersAgainWhenTheLastNotificationOutlivesItsMaxAge() throws Exception {
        try (RawCoapPeer server = new RawCoapPeer()) {
            CoapSession session = CoapClient.create().connect("coap://127.0.0.1:" + server.address().getPort()).block(WAIT);
            CompletableFuture<byte[]> reRegisteredWith = new CompletableFuture<>();
            Thread peer = new Thread(() -> {
                try {
                    CoapMessage first = server.receive();
                    InetSocketAddress client = new InetSocketAddress("127.0.0.1", session.localAddress().getPort());
                    server.send(answer(first, 70, 1, "a"), client);
                    CoapMessage again = server.receive(); // a little over a second later
                    assertThat(again.type()).isEqualTo(CoapType.CON);
                    assertThat(again.options().observe()).isZero();
                    reRegisteredWith.complete(again.token());
                    // A new registration may be numbered afresh: a lower Observe value is still news.
                    server.send(answer(again, 3, 60, "b"), client);
                } catch (Throwable e) {
                    reRegisteredWith.completeExceptionally(e);
                }
            }, "raw-observe-server");
            peer.start();
            try {
                StepVerifier.create(session.observe(CoapRequest.get("/state")).map(CoapResponse::bodyText))
                        .expectNext("a")
                        .expectNext("b")
                        .thenCancel()
                        .verify(WAIT);
                assertThat(reRegisteredWith.get()).hasSize(8);
            } finally {
                peer.join(WAIT.toMillis());
                session.release();
            }
        }
    }

    private static CoapMessage answer(CoapMessage request, long observe, long maxAge, String body) {
        return CoapMessage.of(CoapType.ACK, CoapCode.CONTENT, request.messageId()).withToken(request.token())
                .withOptions(CoapOptions.builder().observe(observe).setUint(CoapOptions.MAX_AGE, maxAge).build())
                .withPayload(body);
    }
}
