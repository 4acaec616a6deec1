package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class CoapObserveEndTest {

    @Test
    void aFiniteResourceEndsTheObservationWithA404() {
        LiveCoapServer server = CoapServer.create().port(0)
                .route(r -> r.observable("/n", req -> Flux.range(0, Integer.parseInt(req.request().query())).map(i -> CoapResponse.content("s" + i))))
                .bind().block(Duration.ofSeconds(10));
        CoapSession session = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(Duration.ofSeconds(10));
        try {
            for (int n : new int[] {0, 1, 2, 7}) {
                StepVerifier.create(session.observe(CoapRequest.get("/n?" + n)).map(r -> r.code().equals(CoapCode.NOT_FOUND) ? "end" : r.bodyText()).collectList())
                        .assertNext(list -> {
                            assertThat(list).hasSize(n + 1);
                            assertThat(list.get(n)).isEqualTo("end");
                        }).expectComplete().verify(Duration.ofSeconds(10));
            }
        } finally {
            session.release();
            server.dispose();
        }
    }
}
