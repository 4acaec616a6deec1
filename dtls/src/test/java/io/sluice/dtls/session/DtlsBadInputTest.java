package io.sluice.dtls.session;

import static io.sluice.dtls.session.DtlsPskTest.KEY;
import static io.sluice.dtls.session.DtlsPskTest.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sluice.dtls.packet.UdpSocket;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * Datagrams an off-path attacker could send with the client's address: they must be dropped, and
 * the session must live on.
 */
class DtlsBadInputTest {

    private LiveDtlsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.dispose();
        }
    }

    private static byte[] record(int type, int epoch, int length, int bodyBytes) {
        byte[] r = new byte[13 + bodyBytes];
        r[0] = (byte) type;
        r[1] = (byte) 0xFE;
        r[2] = (byte) 0xFD;
        r[3] = (byte) (epoch >> 8);
        r[4] = (byte) epoch;
        r[10] = 99;                       // sequence number 99
        r[11] = (byte) (length >> 8);
        r[12] = (byte) length;
        return r;
    }

    @Test
    void spoofedGarbageShortAndForeignEpochRecordsDoNotEndASession() {
        server = DtlsServer.psk(null, id -> KEY).bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsPskTest.echo(server);
        UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0)).block(TIMEOUT);
        DtlsSession session = DtlsClient.psk("client-1", KEY).connect(socket, server.localAddress()).block(TIMEOUT);
        byte[][] attacks = {
            "not dtls at all".getBytes(),
            {23, (byte) 0xFE, (byte) 0xFD, 0, 1},                // truncated header
            record(23, 1, 5, 5),                                  // live epoch, too short for any AEAD record
            record(23, 1, 40, 40),                                // live epoch, right size, garbage: bad_record_mac
            record(23, 7, 30, 30),                                // an epoch that does not exist
            record(23, 1, 200, 20),                               // length beyond the datagram
            record(21, 1, 2, 2),                                  // a too-short "alert"
            record(23, 0, 30, 30),                                // application data in the handshake's epoch
            record(20, 0, 1, 1),                                  // a stray ChangeCipherSpec
        };
        for (byte[] attack : attacks) {
            socket.write(Unpooled.wrappedBuffer(attack), server.localAddress());
        }
        StepVerifier.create(session.receive().map(DtlsPskTest::text).take(2))
                .then(() -> session.send(Flux.just("still", "alive").map(DtlsPskTest::utf8)).block(TIMEOUT))
                .expectNext("STILL", "ALIVE")
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(server.connections()).isEqualTo(1);
        // The session's record layer drops and counts each (the stray ChangeCipherSpec only asks it to
        // resend a final flight the client evidently has: no application record has come yet).
        assertThat(server.droppedDatagrams()).isGreaterThanOrEqualTo(attacks.length - 1);
        session.close().block(TIMEOUT);
        socket.dispose();
    }
}
