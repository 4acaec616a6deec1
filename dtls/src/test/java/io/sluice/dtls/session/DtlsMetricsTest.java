package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The meters a DTLS server and client record: handshakes by outcome and suite, sessions by state, datagrams, drops. */
class DtlsMetricsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "sluice-secret-16".getBytes(StandardCharsets.US_ASCII);

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    private void bind(DtlsServer spec) {
        server = spec.metrics(registry).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsPskTest.echo(server);
    }

    @Test
    void aHandshakeAndAnEchoMoveTheHandshakeSessionAndDatagramMeters() {
        bind(DtlsServer.psk("sluice", id -> KEY));
        DtlsSession client = DtlsClient.psk("client-1", KEY).metrics(registry).connect(server.localAddress()).block(TIMEOUT);
        try {
            StepVerifier.create(client.receive().map(DtlsPskTest::text).take(1))
                    .then(() -> client.send(Flux.just("ping").map(DtlsPskTest::utf8)).subscribe())
                    .expectNext("PING").expectComplete().verify(TIMEOUT);
            String suite = client.cipherSuite();
            assertThat(registry.get("sluice.dtls.handshakes").tags("role", "client", "outcome", "success", "cipher.suite", suite)
                    .timer().count()).isEqualTo(1);
            assertThat(registry.get("sluice.dtls.handshakes").tags("role", "server", "outcome", "success", "cipher.suite", suite)
                    .timer().count()).isEqualTo(1);
            assertThat(registry.get("sluice.dtls.sessions").tags("role", "server", "state", "established").gauge().value()).isEqualTo(1);
            assertThat(registry.get("sluice.dtls.sessions").tags("role", "client", "state", "established").gauge().value()).isEqualTo(1);
            assertThat(registry.get("sluice.dtls.datagrams.received").tags("role", "server").functionCounter().count()).isGreaterThanOrEqualTo(3);
            assertThat(registry.get("sluice.dtls.bytes.sent").tags("role", "client").functionCounter().count()).isPositive();
            assertThat(registry.get("sluice.dtls.hello.verify.requests").functionCounter().count()).isEqualTo(1);
        } finally {
            client.close().block(TIMEOUT);
        }
        assertThat(registry.get("sluice.dtls.sessions").tags("role", "client", "state", "established").gauge().value()).isZero();
    }

    @Test
    void aFailedHandshakeIsTimedAsAFailureWithoutASuite() {
        bind(DtlsServer.psk("sluice", id -> KEY).handshakeTimeout(Duration.ofSeconds(4)));
        byte[] wrong = "wrong-secret-16b".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> DtlsClient.psk("client-1", wrong).metrics(registry).handshakeTimeout(Duration.ofSeconds(4))
                .connect(server.localAddress()).block(TIMEOUT)).isInstanceOf(DtlsException.class);
        assertThat(registry.get("sluice.dtls.handshakes").tags("role", "client", "outcome", "failure", "cipher.suite", "none")
                .timer().count()).isEqualTo(1);
    }

    @Test
    void aFloodOfHellosFromManyAddressesCreatesNoMeterPerPeer() throws IOException {
        bind(DtlsServer.psk("sluice", id -> KEY));
        DtlsClient.psk("client-1", KEY).connect(server.localAddress()).flatMap(DtlsSession::close).block(TIMEOUT);
        // The client can finish before the server has: its handshake timer is the last meter to appear.
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (server.established() < 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(server.established()).isEqualTo(1);
        int before = registry.getMeters().size();
        byte[] hello = clientHello();
        for (int i = 0; i < 200; i++) {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                socket.setSoTimeout(20_000);
                socket.send(new DatagramPacket(hello, hello.length, server.localAddress()));
                DatagramPacket challenge = new DatagramPacket(new byte[512], 512);
                socket.receive(challenge); // the HelloVerifyRequest: the server keeps nothing for it
            }
        }
        assertThat(registry.getMeters()).hasSize(before);
        for (Meter m : registry.getMeters()) {
            for (Tag t : m.getId().getTags()) {
                assertThat(t.getValue()).doesNotContain("127.0.0.1");
            }
        }
        assertThat(registry.get("sluice.dtls.hello.verify.requests").functionCounter().count()).isEqualTo(201);
    }

    @Test
    void theWiretapLineNamesEachRecordsTypeEpochSequenceAndLength() {
        io.netty.buffer.ByteBuf datagram = io.netty.buffer.Unpooled.wrappedBuffer(clientHello(), new byte[] {
                21, (byte) 0xFE, (byte) 0xFD, 0, 1, 0, 0, 0, 0, 0, 7, 0, 2, 1, 0});
        try {
            assertThat(DtlsTraffic.records(datagram)).isEqualTo("handshake epoch=0 seq=0 len=" + (clientHello().length - 13)
                    + "; alert epoch=1 seq=7 len=2");
            assertThat(datagram.readerIndex()).isZero();
            assertThat(DtlsTraffic.records(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1, 2, 3}))).isEqualTo("3 bytes, no DTLS record");
        } finally {
            datagram.release();
        }
    }

    /** A minimal DTLS 1.2 ClientHello without a cookie (one PSK suite), enough to earn a HelloVerifyRequest. */
    static byte[] clientHello() {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(new byte[] {(byte) 0xFE, (byte) 0xFD});
        body.writeBytes(new byte[32]);                  // random
        body.write(0);                                  // session id
        body.write(0);                                  // cookie
        body.writeBytes(new byte[] {0, 2, (byte) 0xC0, (byte) 0xA8}); // TLS_PSK_WITH_AES_128_CCM_8
        body.writeBytes(new byte[] {1, 0});             // null compression
        byte[] b = body.toByteArray();
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(13 + 12 + b.length);
        out.put((byte) 22).putShort((short) 0xFEFF).putShort((short) 0).putShort((short) 0).putInt(0)
                .putShort((short) (12 + b.length));
        out.put((byte) 1).put((byte) 0).putShort((short) b.length).putShort((short) 0)
                .put((byte) 0).putShort((short) 0).put((byte) 0).putShort((short) b.length);
        out.put(b);
        return out.array();
    }
}
