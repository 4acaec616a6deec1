package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sluice.dtls.packet.UdpSocket;
import io.sluice.dtls.session.ConnectionIds;
import io.sluice.dtls.session.DtlsClient;
import io.sluice.dtls.session.DtlsServer;
import io.sluice.dtls.session.DtlsSession;
import io.sluice.dtls.session.LiveDtlsServer;
import io.sluice.testing.Await;
import io.sluice.testing.Utf8;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Connection IDs (RFC 9146): a session survives its client's address changing behind a NAT, with
 * Sluice and Eclipse Californium Scandium on either side, and records replayed or forged from
 * another address do not move a session.
 */
class ConnectionIdInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final byte[] KEY = "cid-key-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @BeforeAll
    static void registerScandiumConfig() {
        DtlsConfig.register();
    }

    /** A PSK echo server with connection IDs of {@code cidLength} bytes; its sessions are completed into {@code accepted}. */
    private static LiveDtlsServer sluiceEchoServer(int cidLength, BlockingQueue<DtlsSession> accepted) {
        LiveDtlsServer server = DtlsServer.psk(null, id -> KEY).connectionIdLength(cidLength).bind(LOOPBACK).block(TIMEOUT);
        server.sessions().subscribe(s -> {
            accepted.add(s);
            s.send(s.receive().map(b -> Unpooled.copiedBuffer("echo: " + Utf8.read(b), StandardCharsets.UTF_8)))
                    .subscribe(null, e -> { });
        });
        return server;
    }

    private static DTLSConnector scandium(DtlsConfig.DtlsRole role, int cidLength, AdvancedMultiPskStore serverKeys, String clientIdentity) {
        DtlsConnectorConfig.Builder builder = DtlsConnectorConfig.builder(new Configuration())
                .setAddress(LOOPBACK)
                .set(DtlsConfig.DTLS_ROLE, role)
                .set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, cidLength);
        if (serverKeys != null) {
            builder.setAdvancedPskStore(serverKeys);
        } else {
            builder.setAdvancedPskStore(new AdvancedSinglePskStore(clientIdentity, KEY));
        }
        return new DTLSConnector(builder.build());
    }

    /** A client session's echoes; a session's records go to one subscriber for its whole life. */
    private static BlockingQueue<String> echoes(DtlsSession session) {
        BlockingQueue<String> out = new LinkedTransferQueue<>();
        session.receive().map(Utf8::read).subscribe(out::add);
        return out;
    }

    private static void roundTrip(DtlsSession session, BlockingQueue<String> echoes, String message) throws InterruptedException {
        session.send(Mono.fromSupplier(() -> Unpooled.copiedBuffer(message, StandardCharsets.UTF_8))).block(TIMEOUT);
        assertThat(echoes.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo: " + message);
    }

    @Test
    void scandiumClientKeepsItsSluiceSessionAcrossNatRebinding() throws Exception {
        BlockingQueue<DtlsSession> accepted = new LinkedTransferQueue<>();
        LiveDtlsServer server = sluiceEchoServer(8, accepted);
        // Length 0: the client sends connection IDs but asks for none itself.
        DTLSConnector client = scandium(DtlsConfig.DtlsRole.CLIENT_ONLY, 0, null, "scandium");
        BlockingQueue<String> replies = new LinkedTransferQueue<>();
        client.setRawDataReceiver(raw -> replies.add(new String(raw.getBytes(), StandardCharsets.UTF_8)));
        try (NatRebindingRelay nat = new NatRebindingRelay(server.localAddress())) {
            client.start();
            AddressEndpointContext to = new AddressEndpointContext(nat.address());
            client.send(RawData.outbound(utf8("before"), to, null, false));
            assertThat(replies.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo: before");
            DtlsSession session = accepted.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            ConnectionIds ids = session.connectionIds().orElseThrow();
            assertThat(ids.inbound()).hasSize(8);
            assertThat(ids.outbound()).isEmpty();
            assertThat(session.remoteAddress()).isEqualTo(nat.outsideAddress());

            nat.rebind();
            client.send(RawData.outbound(utf8("after"), to, null, false));
            assertThat(replies.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("echo: after");
            assertThat(session.remoteAddress()).isEqualTo(nat.outsideAddress());
            assertThat(server.addressChanges()).isEqualTo(1);
            assertThat(server.connections()).isEqualTo(1);
            assertThat(nat.connectionIdDatagrams()).isPositive();
        } finally {
            client.destroy();
            server.dispose();
        }
    }

    @Test
    void sluiceClientKeepsItsScandiumSessionAcrossNatRebinding() throws Exception {
        AdvancedMultiPskStore keys = new AdvancedMultiPskStore();
        keys.setKey("sluice", KEY);
        DTLSConnector server = scandium(DtlsConfig.DtlsRole.SERVER_ONLY, 6, keys, null);
        server.setRawDataReceiver(raw -> server.send(RawData.outbound(
                ("echo: " + new String(raw.getBytes(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8),
                raw.getEndpointContext(), null, false)));
        server.start();
        try (NatRebindingRelay nat = new NatRebindingRelay(server.getAddress())) {
            DtlsSession session = DtlsClient.psk("sluice", KEY).offerConnectionId().connect(nat.address()).block(TIMEOUT);
            BlockingQueue<String> echoes = echoes(session);
            ConnectionIds ids = session.connectionIds().orElseThrow();
            assertThat(ids.outbound()).as("the ID Scandium assigned").hasSize(6);
            assertThat(ids.inbound()).isEmpty();
            roundTrip(session, echoes, "before");
            nat.rebind();
            roundTrip(session, echoes, "after");
            assertThat(nat.connectionIdDatagrams()).as("records written with the CID").isPositive();
            session.close().block(TIMEOUT);
        } finally {
            server.destroy();
        }
    }

    @Test
    void sluiceSessionFollowsItsClientButNotReplayedOrForgedRecords() throws Exception {
        BlockingQueue<DtlsSession> accepted = new LinkedTransferQueue<>();
        LiveDtlsServer server = sluiceEchoServer(4, accepted);
        UdpSocket attacker = UdpSocket.bind(LOOPBACK).block(TIMEOUT);
        try (NatRebindingRelay nat = new NatRebindingRelay(server.localAddress())) {
            DtlsSession client = DtlsClient.psk("sluice", KEY).offerConnectionId().connect(nat.address()).block(TIMEOUT);
            BlockingQueue<String> echoes = echoes(client);
            roundTrip(client, echoes, "one");
            DtlsSession session = accepted.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            byte[] id = session.connectionIds().orElseThrow().inbound();
            assertThat(client.connectionIds().orElseThrow().outbound()).isEqualTo(id);

            nat.rebind();
            roundTrip(client, echoes, "two");
            InetSocketAddress followed = nat.outsideAddress();
            assertThat(session.remoteAddress()).isEqualTo(followed);

            // A genuine record replayed from elsewhere: authentic, but not newer (RFC 9146 §6).
            byte[] replay = nat.lastFromClient();
            // A record with the session's CID and a forged body: fails the MAC.
            byte[] forged = replay.clone();
            forged[forged.length - 1] ^= 1;
            // A CID no session has.
            byte[] unknown = replay.clone();
            unknown[11] ^= (byte) 0xFF;
            long droppedBefore = server.droppedDatagrams();
            for (byte[] d : new byte[][] {replay, forged, unknown}) {
                attacker.write(Unpooled.wrappedBuffer(d), server.localAddress()).sync();
            }
            Await.until(() -> server.droppedDatagrams() > droppedBefore, TIMEOUT);
            roundTrip(client, echoes, "three");
            assertThat(session.remoteAddress()).isEqualTo(followed);
            assertThat(server.addressChanges()).isEqualTo(1);
            client.close().block(TIMEOUT);
        } finally {
            attacker.dispose();
            server.dispose();
        }
    }

    @Test
    void clientsWithoutConnectionIdsAreServedByAddress() throws Exception {
        BlockingQueue<DtlsSession> accepted = new LinkedTransferQueue<>();
        LiveDtlsServer server = sluiceEchoServer(8, accepted);
        try {
            DtlsSession client = DtlsClient.psk("plain", KEY).connect(server.localAddress()).block(TIMEOUT);
            BlockingQueue<String> echoes = echoes(client);
            roundTrip(client, echoes, "no cid");
            assertThat(client.connectionIds()).isEmpty();
            assertThat(accepted.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS).connectionIds()).isEmpty();
            client.close().block(TIMEOUT);
        } finally {
            server.dispose();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
