package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Many requests in flight at once, with NSTART above 1: every one is answered, none is left waiting. */
class CoapLoadTest {

    @Test
    void twentyThousandRequestsWithSixtyFourInFlight() {
        LiveCoapServer server = CoapServer.create().port(0).route(r -> r.get("/x", req -> Mono.just(CoapResponse.content("ok"))))
                .bind().block(Duration.ofSeconds(10));
        CoapSession session = CoapClient.create().transmission(CoapTransmission.defaults().withNstart(64))
                .connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(Duration.ofSeconds(10));
        try {
            Long answered = Flux.range(0, 20_000).flatMap(i -> session.request(CoapRequest.get("/x")), 64)
                    .count().block(Duration.ofSeconds(60));
            assertThat(answered).isEqualTo(20_000);
        } finally {
            session.release();
            server.dispose();
        }
    }
}
