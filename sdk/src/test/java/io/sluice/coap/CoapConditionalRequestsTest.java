package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * RFC 7252 §5.10.4 (Accept), §5.10.6 (ETag validation) and §5.10.8 (If-Match, If-None-Match),
 * clause by clause, with a Sluice client and server: each response code of §5.9 these clauses
 * name (2.03, 4.06, 4.12) reaches the client as sent.
 */
class CoapConditionalRequestsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int TEXT = 0;
    private static final int JSON = 50;

    /** Resource body by name; its ETag is the body's length, one byte, so a test can predict it. */
    private final Map<String, String> store = new ConcurrentHashMap<>();
    private final AtomicInteger performed = new AtomicInteger();
    private LiveCoapServer server;
    private CoapSession session;

    private static byte[] etagOf(String body) {
        return new byte[] {(byte) body.length()};
    }

    @BeforeEach
    void start() {
        store.put("a", "first");
        server = CoapServer.create().port(0).route(r -> r
                        .etags("/doc/**", req -> Mono.justOrEmpty(store.get(req.remainder())).map(CoapConditionalRequestsTest::etagOf))
                        .put("/doc/**", req -> {
                            performed.incrementAndGet();
                            boolean existed = store.put(req.remainder(), req.request().bodyText()) != null;
                            return Mono.just(CoapResponse.of(existed ? CoapCode.CHANGED : CoapCode.CREATED));
                        })
                        .get("/doc/**", req -> Mono.justOrEmpty(store.get(req.remainder()))
                                .map(body -> CoapResponse.content(body).contentFormat(TEXT).options(o -> o.add(CoapOptions.ETAG, etagOf(body))))
                                .defaultIfEmpty(CoapResponse.of(CoapCode.NOT_FOUND)))
                        // No lookup here: the handler decides with preconditionsHold.
                        .delete("/plain/**", req -> {
                            String current = store.get(req.remainder());
                            if (!req.preconditionsHold(current == null ? null : etagOf(current))) {
                                return Mono.just(CoapResponse.of(CoapCode.PRECONDITION_FAILED));
                            }
                            performed.incrementAndGet();
                            store.remove(req.remainder());
                            return Mono.just(CoapResponse.of(CoapCode.DELETED));
                        }))
                .bind().block(WAIT);
        session = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
    }

    @AfterEach
    void stop() {
        session.release();
        server.dispose();
    }

    private CoapResponse send(CoapRequest request) {
        return session.request(request).block(WAIT);
    }

    @Test
    void ifMatchWithTheCurrentEtagPerformsTheMethod() {
        CoapResponse r = send(CoapRequest.put("/doc/a", "second".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_MATCH, etagOf("first"))));
        assertThat(r.code()).isEqualTo(CoapCode.CHANGED);
        assertThat(store.get("a")).isEqualTo("second");
    }

    @Test
    void ifMatchWithAStaleEtagIs412AndTheHandlerDoesNotRun() {
        CoapResponse r = send(CoapRequest.put("/doc/a", "lost update".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_MATCH, new byte[] {99})));
        assertThat(r.code()).isEqualTo(CoapCode.PRECONDITION_FAILED);
        assertThat(performed).hasValue(0);
        assertThat(store.get("a")).isEqualTo("first");
    }

    @Test
    void severalIfMatchOptionsHoldWhenAnyOneMatches() {
        CoapResponse r = send(CoapRequest.put("/doc/a", "third".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_MATCH, new byte[] {99}).add(CoapOptions.IF_MATCH, etagOf("first"))));
        assertThat(r.code()).isEqualTo(CoapCode.CHANGED);
    }

    @Test
    void anEmptyIfMatchHoldsForAnyExistingResourceAndFailsForAMissingOne() {
        assertThat(send(CoapRequest.put("/doc/a", "x".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_MATCH, new byte[0]))).code()).isEqualTo(CoapCode.CHANGED);
        assertThat(send(CoapRequest.put("/doc/missing", "x".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_MATCH, new byte[0]))).code()).isEqualTo(CoapCode.PRECONDITION_FAILED);
        assertThat(store).doesNotContainKey("missing");
    }

    @Test
    void ifNoneMatchCreatesWhatDoesNotExistAndIs412ForWhatDoes() {
        assertThat(send(CoapRequest.put("/doc/new", "fresh".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_NONE_MATCH, new byte[0]))).code()).isEqualTo(CoapCode.CREATED);
        assertThat(send(CoapRequest.put("/doc/a", "overwrite".getBytes(StandardCharsets.UTF_8))
                .options(o -> o.add(CoapOptions.IF_NONE_MATCH, new byte[0]))).code()).isEqualTo(CoapCode.PRECONDITION_FAILED);
        assertThat(store.get("a")).isEqualTo("first");
    }

    @Test
    void aHandlerWithoutALookupDecidesWithPreconditionsHold() {
        assertThat(send(CoapRequest.delete("/plain/a").options(o -> o.add(CoapOptions.IF_MATCH, new byte[] {99}))).code())
                .isEqualTo(CoapCode.PRECONDITION_FAILED);
        assertThat(store).containsKey("a");
        assertThat(send(CoapRequest.delete("/plain/a").options(o -> o.add(CoapOptions.IF_MATCH, etagOf("first")))).code())
                .isEqualTo(CoapCode.DELETED);
        assertThat(store).doesNotContainKey("a");
    }

    @Test
    void aGetWithTheCurrentEtagIs203ValidWithTheEtagAndNoPayload() {
        CoapResponse valid = send(CoapRequest.get("/doc/a").options(o -> o.add(CoapOptions.ETAG, new byte[] {7}).add(CoapOptions.ETAG, etagOf("first"))));
        assertThat(valid.code()).isEqualTo(CoapCode.VALID);
        assertThat(valid.bodyLength()).isZero();
        assertThat(valid.options().etags()).containsExactly(etagOf("first"));
        CoapResponse stale = send(CoapRequest.get("/doc/a").options(o -> o.add(CoapOptions.ETAG, new byte[] {7})));
        assertThat(stale.code()).isEqualTo(CoapCode.CONTENT);
        assertThat(stale.bodyText()).isEqualTo("first");
    }

    @Test
    void anAcceptTheRepresentationDoesNotMatchIs406AndAMatchingOneIsServed() {
        assertThat(send(CoapRequest.get("/doc/a").accept(JSON)).code()).isEqualTo(CoapCode.NOT_ACCEPTABLE);
        CoapResponse text = send(CoapRequest.get("/doc/a").accept(TEXT));
        assertThat(text.code()).isEqualTo(CoapCode.CONTENT);
        assertThat(text.bodyText()).isEqualTo("first");
    }
}
