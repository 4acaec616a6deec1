package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The meters a CoAP server and client record in a registry as traffic flows, and what a flood of peers does to them. */
class CoapMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private LiveCoapServer server;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (server != null) {
            server.dispose();
        }
    }

    private InetSocketAddress bind(CoapServer spec) {
        server = spec.port(0).metrics(registry).route(r -> r
                        .get("/hello", req -> Mono.just(CoapResponse.content("hi")))
                        .observable("/temp", req -> Flux.interval(Duration.ofMillis(5)).map(i -> CoapResponse.content("t" + i))))
                .bind().block(WAIT);
        return server.localAddress();
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    private double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void serverAndClientMetersMoveAsRequestsAndNotificationsFlow() {
        InetSocketAddress to = bind(CoapServer.create());
        CoapSession client = CoapClient.create().metrics(registry).connect("coap://127.0.0.1:" + to.getPort()).block(WAIT);
        closing.add(client::release);
        for (int i = 0; i < 5; i++) {
            assertThat(client.request(CoapRequest.get("/hello")).block(WAIT).code()).isEqualTo(CoapCode.CONTENT);
        }
        assertThat(client.request(CoapRequest.get("/missing")).block(WAIT).code()).isEqualTo(CoapCode.NOT_FOUND);
        assertThat(client.observe(CoapRequest.get("/temp")).take(3).collectList().block(WAIT)).hasSize(3);

        assertThat(registry.get("sluice.coap.requests").tags("role", "server", "method", "GET", "response.class", "2.xx").timer().count())
                .isGreaterThanOrEqualTo(5);
        assertThat(registry.get("sluice.coap.requests").tags("role", "server", "response.class", "4.xx").timer().count()).isEqualTo(1);
        assertThat(registry.get("sluice.coap.requests").tags("role", "client", "method", "GET", "response.class", "2.xx").timer().count())
                .isEqualTo(5);
        assertThat(registry.get("sluice.coap.requests").tags("role", "client", "response.class", "4.xx").timer().count()).isEqualTo(1);
        assertThat(counter("sluice.coap.messages.received", "role", "server", "transport", "udp")).isGreaterThanOrEqualTo(7);
        assertThat(counter("sluice.coap.bytes.received", "role", "server")).isGreaterThan(7 * 4);
        assertThat(counter("sluice.coap.messages.sent", "role", "client")).isGreaterThanOrEqualTo(7);
        assertThat(counter("sluice.coap.notifications", "outcome", "sent")).isGreaterThanOrEqualTo(3);
        assertThat(gauge("sluice.coap.sessions", "role", "server", "type", "server", "state", "established")).isEqualTo(1);
        assertThat(gauge("sluice.coap.sessions", "role", "client", "type", "client", "state", "established")).isEqualTo(1);
    }

    @Test
    void aMalformedDatagramIsCountedAsADropByReason() throws IOException {
        InetSocketAddress to = bind(CoapServer.create());
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.setSoTimeout(20_000);
            // A CON with token length 9 (reserved): the server resets it, after counting it.
            byte[] bad = {0x49, 0x01, 0x12, 0x34};
            socket.send(new DatagramPacket(bad, bad.length, to));
            DatagramPacket reset = new DatagramPacket(new byte[64], 64);
            socket.receive(reset);
            assertThat(reset.getData()[0] & 0x30).isEqualTo(0x30);
        }
        assertThat(counter("sluice.coap.drops", "role", "server", "reason", "malformed")).isEqualTo(1);
        assertThat(counter("sluice.coap.drops", "role", "server", "reason", "duplicate")).isZero();
    }

    @Test
    void aFloodOfPeerAddressesCreatesNoMeterPerPeer() throws IOException {
        InetSocketAddress to = bind(CoapServer.create().maxSessions(40).maxIdleSessions(40));
        try (RawCoapPeer first = new RawCoapPeer()) {
            assertThat(first.exchange(get(1), to).code()).isEqualTo(CoapCode.CONTENT);
        }
        int metersBefore = registry.getMeters().size();
        int answered = 0;
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            try (RawCoapPeer peer = new RawCoapPeer()) {
                CoapMessage answer = peer.exchange(get(i + 2), to);
                if (answer.code().equals(CoapCode.SERVICE_UNAVAILABLE)) {
                    refused++;
                } else {
                    answered++;
                }
            }
        }
        assertThat(answered + refused).isEqualTo(300);
        // Past the cap the least recently active idle peers made room for the new ones.
        assertThat(server.evictedSessions()).isPositive();
        assertThat(registry.getMeters()).hasSize(metersBefore);
        for (Meter m : registry.getMeters()) {
            for (Tag t : m.getId().getTags()) {
                assertThat(t.getValue()).doesNotContain("127.0.0.1");
            }
        }
        assertThat(counter("sluice.coap.drops", "role", "server", "reason", "refused")).isEqualTo(refused);
        assertThat(counter("sluice.coap.sessions.freed", "role", "server", "reason", "evicted")).isEqualTo(server.evictedSessions());
        assertThat(gauge("sluice.coap.sessions", "role", "server", "type", "server", "state", "established")).isLessThanOrEqualTo(40);
    }

    @Test
    void aDisposedServerKeepsItsCountsAndLeavesTheSessionGauges() {
        InetSocketAddress to = bind(CoapServer.create());
        CoapSession client = CoapClient.create().connect("coap://127.0.0.1:" + to.getPort()).block(WAIT);
        closing.add(client::release);
        client.request(CoapRequest.get("/hello")).block(WAIT);
        double received = counter("sluice.coap.messages.received", "role", "server");
        assertThat(gauge("sluice.coap.sessions", "role", "server", "type", "server", "state", "established")).isEqualTo(1);
        server.dispose();
        assertThat(counter("sluice.coap.messages.received", "role", "server")).isEqualTo(received);
        assertThat(gauge("sluice.coap.sessions", "role", "server", "type", "server", "state", "established")).isZero();
    }

    private static CoapMessage get(int mid) {
        return CoapMessage.of(CoapType.CON, CoapCode.GET, mid).withToken(new byte[] {(byte) mid, (byte) (mid >> 8)})
                .withOptions(CoapOptions.builder().uriPath("/hello").build());
    }
}
