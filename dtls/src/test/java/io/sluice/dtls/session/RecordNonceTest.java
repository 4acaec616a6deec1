package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.socket.DatagramPacket;
import io.sluice.dtls.packet.DatagramTarget;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import io.sluice.testing.Await;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;

/**
 * One writer per epoch: after the handshake the session's own record layer protects every record,
 * continuing BouncyCastle's sequence numbers, so no (epoch, sequence number) pair — the AEAD nonce —
 * is used for two different records. Checked on the wire, through a relay that loses the server's
 * final flight once, so the client retransmits its own and the server must resend its Finished.
 * With connection IDs (RFC 9146) the same holds for the client's tls12_cid records.
 */
class RecordNonceTest {

    /** One record as seen on the wire; {@code connectionId} is the hex of the ID in a client's tls12_cid header, else empty. */
    private record Seen(String direction, int type, int epoch, long sequence, String bytes, String connectionId) {
    }

    /** What the relay saw, and the connection ID the server gave the client to carry (hex, empty if none). */
    private record Exchange(List<Seen> seen, String serverChosenId) {
    }

    /** A relay that records every record in both directions and drops the server's first flight carrying epoch 1. */
    private static final class RecordingRelay implements DatagramTarget, AutoCloseable {
        private final UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        private final InetSocketAddress server;
        /** The length of the connection ID in the client's tls12_cid records. */
        private final int clientCidLength;
        private final List<Seen> seen = new ArrayList<>();
        private final AtomicBoolean droppedFinalFlight = new AtomicBoolean();
        private final AtomicInteger serverEpochOneDatagrams = new AtomicInteger();
        private InetSocketAddress client;
        /** The client's latest datagram of one protected record. */
        private volatile byte[] lastClientRecord;

        RecordingRelay(InetSocketAddress server, int clientCidLength) {
            this.server = server;
            this.clientCidLength = clientCidLength;
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
                    int type = content.getUnsignedByte(pos);
                    int epoch = content.getUnsignedShort(pos + 3);
                    long sequence = content.getUnsignedMedium(pos + 5) * (1L << 24) + content.getUnsignedMedium(pos + 8);
                    int header = 13 + (type == RecordFilter.TLS12_CID && !fromServer ? clientCidLength : 0);
                    int length = content.getUnsignedShort(pos + header - 2);
                    int end = Math.min(content.writerIndex(), pos + header + length);
                    String cid = header > 13 ? ByteBufUtil.hexDump(content, pos + 11, clientCidLength) : "";
                    seen.add(new Seen(fromServer ? "server" : "client", type, epoch, sequence,
                            ByteBufUtil.hexDump(content, pos, end - pos), cid));
                    epochOne |= epoch == 1;
                    pos = end;
                }
            }
            if (!fromServer && epochOne) {
                lastClientRecord = ByteBufUtil.getBytes(content);
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

        /** Sends {@code datagram} to the server as if from the client. */
        void inject(byte[] datagram) {
            socket.write(io.netty.buffer.Unpooled.wrappedBuffer(datagram), server).syncUninterruptibly();
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
    void noEpochAndSequencePairIsUsedForTwoRecordsEvenWhenTheFinalFlightIsResent(String suite) throws InterruptedException {
        List<Seen> seen = exchangeThroughLossyRelay(suite, 0).seen();
        assertThat(seen).noneMatch(s -> s.type() == RecordFilter.TLS12_CID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"})
    void connectionIdRecordsNeverRepeatANonceEitherAndCarryTheServersId(String suite) throws InterruptedException {
        Exchange exchange = exchangeThroughLossyRelay(suite, 4);
        List<Seen> seen = exchange.seen();
        List<Seen> clientProtected = seen.stream().filter(s -> s.direction().equals("client") && s.epoch() == 1).toList();
        assertThat(exchange.serverChosenId()).hasSize(8);
        assertThat(clientProtected).as("the client's Finished, 50 records and close_notify").hasSizeGreaterThan(50)
                .allMatch(s -> s.type() == RecordFilter.TLS12_CID, "tls12_cid records")
                .allMatch(s -> s.connectionId().equals(exchange.serverChosenId()), "carrying the ID the server chose");
        assertThat(seen.stream().filter(s -> s.direction().equals("server"))).as("the client asked for no ID of its own")
                .noneMatch(s -> s.type() == RecordFilter.TLS12_CID);
    }

    /** 50 records each way through the relay, the server's final flight lost once; checks the nonces and returns what the relay saw. */
    private static Exchange exchangeThroughLossyRelay(String suite, int cidLength) throws InterruptedException {
        LiveDtlsServer server = DtlsServer.psk(null, id -> DtlsPskTest.KEY).cipherSuites(suite).connectionIdLength(cidLength)
                .bind(new InetSocketAddress("127.0.0.1", 0)).block(DtlsPskTest.TIMEOUT);
        DtlsPskTest.echo(server);
        try (RecordingRelay relay = new RecordingRelay(server.localAddress(), cidLength)) {
            DtlsClient client = DtlsClient.psk("nonce", DtlsPskTest.KEY).cipherSuites(suite);
            DtlsSession session = (cidLength > 0 ? client.offerConnectionId() : client).connect(relay.address())
                    .block(DtlsPskTest.TIMEOUT);
            assertThat(session.connectionIds().isPresent()).isEqualTo(cidLength > 0);
            String serverChosenId = session.connectionIds().map(ids -> ByteBufUtil.hexDump(ids.outbound())).orElse("");
            assertThat(relay.droppedFinalFlight).as("the server's final flight was lost once").isTrue();
            List<String> words = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                words.add("record " + i);
            }
            // One subscriber for the session's life; the test thread waits on the queue.
            BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            session.receive().map(DtlsPskTest::text).subscribe(echoes::add);
            session.send(Flux.fromIterable(words).map(DtlsPskTest::utf8)).block(DtlsPskTest.TIMEOUT);
            for (String w : words) {
                assertThat(echoes.poll(DtlsPskTest.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(w.toUpperCase());
            }
            if (cidLength > 0) {
                // A genuine record rewritten into the plain form, from the client's own address: RFC 9146
                // wants the CID form in this epoch, so it is dropped, and the session lives on.
                byte[] cid = relay.lastClientRecord;
                byte[] plain = new byte[cid.length - cidLength];
                System.arraycopy(cid, 0, plain, 0, 11);
                System.arraycopy(cid, 11 + cidLength, plain, 11, plain.length - 11);
                plain[0] = 23;
                long dropped = server.droppedDatagrams();
                relay.inject(plain);
                Await.until(() -> server.droppedDatagrams() > dropped, DtlsPskTest.TIMEOUT);
                session.send(Flux.just("still up").map(DtlsPskTest::utf8)).block(DtlsPskTest.TIMEOUT);
                assertThat(echoes.poll(DtlsPskTest.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("STILL UP");
            }
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
            return new Exchange(relay.seen(), serverChosenId);
        } finally {
            server.dispose();
        }
    }
}
