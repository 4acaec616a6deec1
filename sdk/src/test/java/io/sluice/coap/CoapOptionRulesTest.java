package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** RFC 7252 §5.4 and §5.7.2 and RFC 7959 §2.9 and §4, clause by clause, against a server. */
class CoapOptionRulesTest {

    private final AtomicInteger handled = new AtomicInteger();
    private LiveCoapServer server;
    private InetSocketAddress to;
    private RawCoapPeer peer;
    private int mid = 100;

    @BeforeEach
    void start() throws IOException {
        server = CoapServer.create().port(0).maxBodySize(4096).route(r -> r
                        .get("/hello", req -> {
                            handled.incrementAndGet();
                            return Mono.just(CoapResponse.content("hello"));
                        })
                        .put("/store", req -> Mono.just(CoapResponse.of(CoapCode.CHANGED))))
                .bind().block(Duration.ofSeconds(20));
        to = server.localAddress();
        peer = new RawCoapPeer();
    }

    @AfterEach
    void stop() {
        peer.close();
        server.dispose();
    }

    private CoapMessage request(CoapCode code, CoapOptions.Builder options) {
        mid++;
        return CoapMessage.of(CoapType.CON, code, mid).withToken(new byte[] {(byte) mid}).withOptions(options.build());
    }

    @Test
    void anUnrecognizedMethodIsA405WhateverThePath() throws IOException {
        // RFC 7252 §5.8: 0.09 is unassigned.
        CoapCode unknown = CoapCode.of(0, 9);
        assertThat(peer.exchange(request(unknown, CoapOptions.builder().uriPath("hello")), to).code()).isEqualTo(CoapCode.METHOD_NOT_ALLOWED);
        assertThat(peer.exchange(request(unknown, CoapOptions.builder().uriPath("nowhere")), to).code()).isEqualTo(CoapCode.METHOD_NOT_ALLOWED);
        assertThat(handled).hasValue(0);
        // A known method on a path without a route for it stays 4.05, on no route at all 4.04.
        assertThat(peer.exchange(request(CoapCode.DELETE, CoapOptions.builder().uriPath("hello")), to).code()).isEqualTo(CoapCode.METHOD_NOT_ALLOWED);
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("nowhere")), to).code()).isEqualTo(CoapCode.NOT_FOUND);
    }

    @Test
    void anUnrecognizedElectiveOptionIsIgnored() throws IOException {
        // §5.4.1: option 2 is unassigned and even, so elective.
        CoapMessage answer = peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").add(2, new byte[] {1})), to);
        assertThat(answer.code()).isEqualTo(CoapCode.CONTENT);
    }

    @Test
    void anUnrecognizedCriticalOptionIsA402() throws IOException {
        // §5.4.1: option 2049 is unassigned and odd, so critical.
        CoapMessage answer = peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").add(2049, new byte[0])), to);
        assertThat(answer.code()).isEqualTo(CoapCode.BAD_OPTION);
        assertThat(handled).hasValue(0);
    }

    @Test
    void aCriticalOptionWithALengthOutOfRangeIsA402AndAnElectiveOneIsIgnored() throws IOException {
        // §5.4.3: Uri-Host (3, critical) is 1-255 bytes; Max-Age (14, elective) is 0-4 bytes.
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").add(CoapOptions.URI_HOST, new byte[0])), to)
                .code()).isEqualTo(CoapCode.BAD_OPTION);
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").add(CoapOptions.MAX_AGE, new byte[5])), to)
                .code()).isEqualTo(CoapCode.CONTENT);
    }

    @Test
    void aRepeatedNonRepeatableCriticalOptionIsA402AndARepeatedElectiveOneIsIgnored() throws IOException {
        // §5.4.5: each supernumerary occurrence counts as unrecognized. Uri-Port (7) is critical, Accept (17) critical too;
        // Content-Format (12) is elective.
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello")
                .addUint(CoapOptions.URI_PORT, 5683).addUint(CoapOptions.URI_PORT, 5684)), to).code()).isEqualTo(CoapCode.BAD_OPTION);
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello")
                .addUint(CoapOptions.CONTENT_FORMAT, 0).addUint(CoapOptions.CONTENT_FORMAT, 40)), to).code()).isEqualTo(CoapCode.CONTENT);
        // Repeatable ones may repeat: two Uri-Path segments.
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello/there")), to).code())
                .isEqualTo(CoapCode.NOT_FOUND);
    }

    @Test
    void proxyUriAndProxySchemeOnANonProxyAre505() throws IOException {
        // §5.7.2.
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().addString(CoapOptions.PROXY_URI, "coap://example.org/x")), to)
                .code()).isEqualTo(CoapCode.PROXYING_NOT_SUPPORTED);
        assertThat(peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").addString(CoapOptions.PROXY_SCHEME, "coap")), to)
                .code()).isEqualTo(CoapCode.PROXYING_NOT_SUPPORTED);
        assertThat(handled).hasValue(0);
    }

    private CoapMessage block1(int num, boolean more, int length) {
        return request(CoapCode.PUT, CoapOptions.builder().uriPath("store").block1(new io.sluice.codec.coap.BlockOption(num, more, 6)))
                .withPayload(new byte[length]);
    }

    @Test
    void aBlock1BlockWithMoreIsA231ContinueAndTheLastGetsTheFinalCode() throws IOException {
        // RFC 7959 §2.9.1: 2.31 Continue says the server took the block and wants the rest; its Block1 echoes the block.
        CoapMessage first = peer.exchange(block1(0, true, 1024), to);
        assertThat(first.code()).isEqualTo(CoapCode.CONTINUE);
        assertThat(first.options().block1()).hasValueSatisfying(b -> {
            assertThat(b.num()).isZero();
            assertThat(b.more()).isTrue();
        });
        CoapMessage last = peer.exchange(block1(1, false, 10), to);
        assertThat(last.code()).isEqualTo(CoapCode.CHANGED);
        assertThat(last.options().block1()).hasValueSatisfying(b -> {
            assertThat(b.num()).isEqualTo(1);
            assertThat(b.more()).isFalse();
        });
    }

    @Test
    void aBlock1BlockThatDoesNotFollowWhatCameBeforeIs408() throws IOException {
        // RFC 7959 §2.9.2: 4.08 Request Entity Incomplete for a block without the ones before it.
        assertThat(peer.exchange(block1(2, true, 1024), to).code()).isEqualTo(CoapCode.REQUEST_ENTITY_INCOMPLETE);
        assertThat(peer.exchange(block1(0, true, 1024), to).code()).isEqualTo(CoapCode.CONTINUE);
        assertThat(peer.exchange(block1(3, false, 1024), to).code()).isEqualTo(CoapCode.REQUEST_ENTITY_INCOMPLETE);
    }

    @Test
    void anUploadThatGrowsPastTheLimitIs413WithSize1() throws IOException {
        // RFC 7959 §2.9.3: 4.13 Request Entity Too Large, with Size1 saying how much the server takes.
        for (int num = 0; num < 4; num++) {
            assertThat(peer.exchange(block1(num, true, 1024), to).code()).isEqualTo(CoapCode.CONTINUE);
        }
        CoapMessage refused = peer.exchange(block1(4, false, 1024), to);
        assertThat(refused.code()).isEqualTo(CoapCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(refused.options().uint(CoapOptions.SIZE1)).hasValue(4096);
    }

    @Test
    void uriHostAndUriPortNamingAnotherEndpointAreServedAsLocal() throws IOException {
        // RFC 7252 §5.10.1: Uri-Host and Uri-Port name the endpoint; a server without virtual hosts serves
        // the path, it does not proxy (only Proxy-Uri and Proxy-Scheme ask for that, §5.7.2).
        CoapMessage answer = peer.exchange(request(CoapCode.GET, CoapOptions.builder().addString(CoapOptions.URI_HOST, "example.org")
                .setUint(CoapOptions.URI_PORT, 9999).uriPath("hello")), to);
        assertThat(answer.code()).isEqualTo(CoapCode.CONTENT);
        assertThat(handled).hasValue(1);
    }

    @Test
    void size2ZeroAsksForTheSizeAndASize1AboveTheLimitIsRefusedEarly() throws IOException {
        // RFC 7959 §4.
        CoapMessage sized = peer.exchange(request(CoapCode.GET, CoapOptions.builder().uriPath("hello").setUint(CoapOptions.SIZE2, 0)), to);
        assertThat(sized.code()).isEqualTo(CoapCode.CONTENT);
        assertThat(sized.options().uint(CoapOptions.SIZE2)).hasValue(5);
        CoapMessage refused = peer.exchange(request(CoapCode.PUT, CoapOptions.builder().uriPath("store").setUint(CoapOptions.SIZE1, 100_000)), to);
        assertThat(refused.code()).isEqualTo(CoapCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(refused.options().uint(CoapOptions.SIZE1)).hasValue(4096);
        assertThat(peer.exchange(request(CoapCode.PUT, CoapOptions.builder().uriPath("store").setUint(CoapOptions.SIZE1, 4000)), to).code())
                .isEqualTo(CoapCode.CHANGED);
    }
}
