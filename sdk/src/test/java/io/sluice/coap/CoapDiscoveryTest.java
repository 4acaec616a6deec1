package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoreLink;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** RFC 6690 §4: every server answers GET /.well-known/core from its routes. */
class CoapDiscoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private LiveCoapServer server;
    private CoapSession session;

    @AfterEach
    void stop() {
        if (session != null) {
            session.release();
        }
        server.dispose();
    }

    private CoapSession start(CoapServer spec) {
        server = spec.port(0).bind().block(WAIT);
        session = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
        return session;
    }

    private CoapServer sensors() {
        return CoapServer.create().route(r -> r
                .get("/hello", req -> Mono.just(CoapResponse.content("hi")))
                .describe("/hello", ResourceAttributes.create().title("Greeting").contentFormat(0))
                .observable("/sensors/temp", req -> Flux.just(CoapResponse.content("21")))
                .describe("/sensors/temp", ResourceAttributes.create().resourceType("temperature-c").interfaceDescription("sensor").size(8))
                .get("/sensors/light", req -> Mono.just(CoapResponse.content("400")))
                .describe("/sensors/light", ResourceAttributes.create().resourceType("light-lux").interfaceDescription("sensor"))
                .put("/files/**", req -> Mono.just(CoapResponse.of(CoapCode.CHANGED))));
    }

    @Test
    void theRoutesAreListedInLinkFormatWithTheirAttributes() {
        CoapSession s = start(sensors());
        StepVerifier.create(s.request(CoapRequest.get("/.well-known/core")))
                .assertNext(r -> {
                    assertThat(r.code()).isEqualTo(CoapCode.CONTENT);
                    assertThat(r.options().contentFormat()).isEqualTo(CoreLink.CONTENT_FORMAT);
                    assertThat(r.bodyText()).isEqualTo("</hello>;title=\"Greeting\";ct=0,"
                            + "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";sz=8;obs,"
                            + "</sensors/light>;rt=\"light-lux\";if=\"sensor\",</files>");
                })
                .verifyComplete();
        StepVerifier.create(s.discover(""))
                .assertNext(links -> {
                    assertThat(links).extracting(CoreLink::target).containsExactly("/hello", "/sensors/temp", "/sensors/light", "/files");
                    assertThat(links.get(1).observable()).isTrue();
                })
                .verifyComplete();
    }

    @Test
    void queryFiltersKeepTheMatchingLinks() {
        CoapSession s = start(sensors());
        StepVerifier.create(s.discover("rt=temperature*")).assertNext(l -> assertThat(l).extracting(CoreLink::target)
                .containsExactly("/sensors/temp")).verifyComplete();
        StepVerifier.create(s.discover("if=sensor")).assertNext(l -> assertThat(l).extracting(CoreLink::target)
                .containsExactly("/sensors/temp", "/sensors/light")).verifyComplete();
        StepVerifier.create(s.discover("href=/sensors/l*")).assertNext(l -> assertThat(l).extracting(CoreLink::target)
                .containsExactly("/sensors/light")).verifyComplete();
        StepVerifier.create(s.discover("obs")).assertNext(l -> assertThat(l).extracting(CoreLink::target)
                .containsExactly("/sensors/temp")).verifyComplete();
        StepVerifier.create(s.discover("rt=nothing")).assertNext(l -> assertThat(l).isEmpty()).verifyComplete();
        StepVerifier.create(s.request(CoapRequest.of(CoapCode.POST, "/.well-known/core")))
                .assertNext(r -> assertThat(r.code()).isEqualTo(CoapCode.METHOD_NOT_ALLOWED)).verifyComplete();
    }

    @Test
    void aLargeListGoesBlockWiseAndARouteOfItsOwnTakesPrecedence() {
        CoapSession s = start(CoapServer.create().route(r -> {
            for (int i = 0; i < 150; i++) {
                r.get("/resource/number-" + i, req -> Mono.just(CoapResponse.content("x")))
                        .describe("/resource/number-" + i, ResourceAttributes.create().title("Resource number " + i + " of many"));
            }
        }));
        StepVerifier.create(s.discover("")).assertNext(links -> {
            assertThat(links).hasSize(150);
            assertThat(links.get(149).attribute("title")).contains("Resource number 149 of many");
        }).verifyComplete();

        server.dispose();
        session.release();
        CoapSession own = start(CoapServer.create().route(r -> r.get("/.well-known/core", req -> Mono.just(CoapResponse.content("</mine>")))));
        StepVerifier.create(own.discover("")).assertNext(l -> assertThat(l).extracting(CoreLink::target).containsExactly("/mine"))
                .verifyComplete();
    }
}
