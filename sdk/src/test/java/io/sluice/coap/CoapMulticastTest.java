package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Multicast requests (RFC 7252 §8) on the loopback interface. Linux's {@code lo} carries multicast
 * once flagged ({@code ip link set lo multicast on}, which CI does); elsewhere the test is skipped.
 */
class CoapMulticastTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void oneRequestManyResponders() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        assumeTrue(lo != null && lo.isUp() && lo.supportsMulticast(), "the loopback interface does not carry multicast here");
        InetAddress group = InetAddress.getByName("224.0.1.187");
        int port = freePort();
        CoapServer spec = CoapServer.create().port(port).joinGroup(group, lo).multicastLeisure(Duration.ofMillis(50));
        LiveCoapServer a = spec.host("127.0.0.1").route(r -> r.get("/who", req -> Mono.just(CoapResponse.content("a")))).bind().block(WAIT);
        LiveCoapServer b = spec.host("127.0.0.2").route(r -> r.get("/who", req -> Mono.just(CoapResponse.content("b")))).bind().block(WAIT);
        CoapSession session = CoapClient.create().multicastInterface(lo).bindAddress(new InetSocketAddress("127.0.0.1", 0))
                .connect(CoapProtocol.UDP, new InetSocketAddress(group, port)).block(WAIT);
        try {
            assertThat(session.multicastAddress()).contains(new InetSocketAddress(group, port));
            assertThat(session.interfaceIndex()).isEqualTo(lo.getIndex());
            StepVerifier.create(session.multicast(CoapRequest.get("/who"), Duration.ofMillis(1500)).collectList())
                    .assertNext(responses -> {
                        assertThat(responses.stream().map(CoapResponse::bodyText).collect(Collectors.toSet())).containsExactlyInAnyOrder("a", "b");
                        assertThat(responses).allSatisfy(r -> assertThat(r.source()).isPresent());
                    })
                    .expectComplete().verify(WAIT);
            // Errors are not answered to multicast requests (RFC 7252 §8.2): nobody has /nothing.
            StepVerifier.create(session.multicast(CoapRequest.get("/nothing"), Duration.ofMillis(500)))
                    .expectComplete().verify(WAIT);
            // Multicast requests are NON (RFC 7252 §8.1): answered without a server session being kept.
            assertThat(a.sessions()).isEmpty();
        } finally {
            session.release();
            a.dispose();
            b.dispose();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
