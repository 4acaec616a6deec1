package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.sluice.codec.coap.CoapCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** CoAP requests are Micrometer Observations on both sides, with the caller's observation as parent and the handler's in its context. */
class CoapObservationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void clientAndServerRequestsAreObservedAndTheHandlerSeesItsObservation() throws InterruptedException {
        List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
        CountDownLatch bothStopped = new CountDownLatch(3);
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
                bothStopped.countDown();
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        AtomicReference<Object> seenByHandler = new AtomicReference<>();
        LiveCoapServer server = CoapServer.create().port(0).observations(registry)
                .route(r -> r.get("/hello", req -> Mono.deferContextual(ctx -> {
                    seenByHandler.set(ctx.getOrDefault("micrometer.observation", null));
                    return Mono.just(CoapResponse.content("hi"));
                }))).bind().block(WAIT);
        try {
            CoapSession client = CoapClient.create().observations(registry)
                    .connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
            Observation parent = Observation.start("test.parent", registry);
            CoapResponse answer = client.request(CoapRequest.get("/hello"))
                    .contextWrite(c -> c.put("micrometer.observation", parent)).block(WAIT);
            parent.stop();
            assertThat(answer.code()).isEqualTo(CoapCode.CONTENT);
            assertThat(bothStopped.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("stopped: %s", stopped).isTrue();
            client.release();
        } finally {
            server.dispose();
        }
        Observation.Context clientSide = stopped.stream().filter(c -> c.getName().equals("sluice.coap.client.request")).findFirst().orElseThrow();
        Observation.Context serverSide = stopped.stream().filter(c -> c.getName().equals("sluice.coap.server.request")).findFirst().orElseThrow();
        assertThat(clientSide.getParentObservation()).isNotNull();
        assertThat(clientSide.getParentObservation().getContextView().getName()).isEqualTo("test.parent");
        assertThat(clientSide.getLowCardinalityKeyValue("method").getValue()).isEqualTo("GET");
        assertThat(clientSide.getLowCardinalityKeyValue("response.class").getValue()).isEqualTo("2.xx");
        assertThat(serverSide.getLowCardinalityKeyValue("response.class").getValue()).isEqualTo("2.xx");
        assertThat(serverSide.getLowCardinalityKeyValue("transport").getValue()).isEqualTo("udp");
        assertThat(seenByHandler.get()).isInstanceOfSatisfying(Observation.class,
                o -> assertThat(o.getContext().getName()).isEqualTo("sluice.coap.server.request"));
    }
}
