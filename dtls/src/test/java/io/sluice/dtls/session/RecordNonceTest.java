package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * One writer per epoch: after the handshake the session's own record layer protects every record,
 * continuing BouncyCastle's sequence numbers, so no (epoch, sequence number) pair — the AEAD nonce —
 * is used for two different records. Checked on the wire, through a relay that loses the server's
 * final flight once, so the client retransmits its own and the server must resend its Finished.
 */
class RecordNonceTest {

    /** One record as seen on the wire. */
    private record Seen(String direction, int epoch, long sequence, String bytes) {
    }

    /** A relay that records every record in both directions and drops the server's first flight carrying epoch 1. */
    private static final class RecordingRelay implements DatagramTarget, AutoCloseable {
        private final UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        private final InetSocketAddress server;
        private final List<Seen> seen = new ArrayList<>();
        private final AtomicBoolean droppedFinalFlight = new AtomicBoolean();
        private final AtomicInteger serverEpochOneDatagrams = new AtomicInteger();
        private InetSocketAddress client;

        RecordingRelay(InetSocketAddress server) {
            this.server = server;
            socket.attach(this);
        }

        @Override
        public void onDatagram(DatagramPacket packet) {
            boolean fromServer = packet.sender().equals(server);
            if (!fromServer) {
                client = packet.sender();
            }
            ByteBuf content = packet.content().retain();
            packet.release();
            boolean epochOne = false;
            synchronized (seen) {
                for (int pos = content.readerIndex(); content.writerIndex() - pos >= 13; ) {
                    int epoch = content.getUnsignedShort(pos + 3);
                    long sequence = content.getUnsignedMedium(pos + 5) * (1L << 24) + content.getUnsignedMedium(pos + 8);
                    int length = content.getUnsignedShort(pos + 11);
                    int end = Math.min(content.writerIndex(), pos + 13 + length);
                    seen.add(new Seen(fromServer ? "server" : "client", epoch, sequence,
                            ByteBufUtil.hexDump(content, pos, end - pos)));
                    epochOne |= epoch == 1;
                    pos = end;
                }
            }
            if (fromServer && epochOne && serverEpochOneDatagrams.incrementAndGet() == 1) {
                droppedFinalFlight.set(true); // CCS + Finished lost: the client must ask again
                content.release();
                return;
            }
            socket.write(content, fromServer ? client : server);
        }

        @Override
        public void onOversized(InetSocketAddress sender, int limit) {
        }

        InetSocketAddress address() {
            return socket.localAddress();
        }

        List<Seen> seen() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        @Override
        public void close() {
            socket.dispose();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"})
    void noEpochAndSequencePairIsUsedForTwoRecordsEvenWhenTheFinalFlightIsResent(String suite) {
        LiveDtlsServer server = DtlsServer.psk(null, id -> DtlsPskTest.KEY).cipherSuites(suite)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        DtlsPskTest.echo(server);
        try (RecordingRelay relay = new RecordingRelay(server.localAddress())) {
            DtlsSession session = DtlsClient.psk("nonce", DtlsPskTest.KEY).cipherSuites(suite).connect(relay.address())
                    .block(DtlsPskTest.TIMEOUT);
            assertThat(relay.droppedFinalFlight).as("the server's final flight was lost once").isTrue();
            List<String> words = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                words.add("record " + i);
            }
            StepVerifier.create(session.receive().map(DtlsPskTest::text).take(words.size()))
                    .then(() -> session.send(Flux.fromIterable(words).map(DtlsPskTest::utf8)).subscribe())
                    .expectNextSequence(words.stream().map(String::toUpperCase).toList())
                    .expectComplete()
                    .verify(DtlsPskTest.TIMEOUT);
            session.close().block(DtlsPskTest.TIMEOUT);

            Map<String, String> byNonce = new HashMap<>();
            int protectedRecords = 0;
            for (Seen s : relay.seen()) {
                if (s.epoch() == 0) {
                    continue; // the handshake's plaintext epoch carries no AEAD nonce
                }
                protectedRecords++;
                String key = s.direction() + " epoch " + s.epoch() + " sequence " + s.sequence();
                String before = byNonce.putIfAbsent(key, s.bytes());
                // The same pair again may only be the very same record, resent byte for byte.
                assertThat(before == null || before.equals(s.bytes())).as("%s protects two different records", key).isTrue();
            }
            assertThat(protectedRecords).as("50 records each way, Finished messages and close_notify").isGreaterThan(100);
            assertThat(byNonce.keySet()).as("the server's records continue after its Finished (sequence 0)")
                    .contains("server epoch 1 sequence 0", "server epoch 1 sequence 1", "client epoch 1 sequence 1");
        } finally {
            server.dispose();
        }
    }
}
