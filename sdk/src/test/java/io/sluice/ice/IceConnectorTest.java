package io.sluice.ice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceMessageCodec;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The originator against scripted peers on loopback: every way a connection setup can go wrong ends in a clear error. */
class IceConnectorTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void networkIds() {
        assertThat(IceConnector.parse("tcp/host:4000")).hasToString("host/<unresolved>:4000");
        assertThat(IceConnector.parse("unix/host:/tmp/.ICE-unix/1").toString()).contains("/tmp/.ICE-unix/1");
        assertThatThrownBy(() -> IceConnector.parse("local/host:@/tmp/.ICE-unix/1")).hasMessageContaining("abstract");
        assertThatThrownBy(() -> IceConnector.parse("decnet/host:1")).hasMessageContaining("unknown transport");
        assertThatThrownBy(() -> IceConnector.parse("tcp/host:http")).hasMessageContaining("not a port");
        assertThatThrownBy(() -> IceConnector.parse("nonsense")).hasMessageContaining("not a network ID");
        StepVerifier.create(IceConnector.create().open(" , "))
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.CONNECT_FAILED)).verify(WAIT);
    }

    @Test
    void aPeerWhoseFirstMessageIsNotByteOrder() throws Exception {
        expectFailure(out -> write(out, new IceMessage.Ping()), IceErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void aPeerThatChoosesAnAuthenticationMethodNobodyOffered() throws Exception {
        expectFailure(out -> {
            write(out, new IceMessage.ByteOrderMessage(ByteOrder.LITTLE_ENDIAN));
            write(out, new IceMessage.AuthRequired(0, new byte[] {1, 2}));
        }, IceErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void aPeerThatRefusesTheSetup() throws Exception {
        expectFailure(out -> {
            write(out, new IceMessage.ByteOrderMessage(ByteOrder.LITTLE_ENDIAN));
            write(out, new IceMessage.Error(0, 2, IceError.FATAL_TO_CONNECTION, IceError.NO_VERSION, 2, new byte[0]));
        }, IceErrorCode.SETUP_REFUSED);
    }

    @Test
    void aPeerThatSendsAnOversizedFrame() throws Exception {
        expectFailure(out -> {
            write(out, new IceMessage.ByteOrderMessage(ByteOrder.BIG_ENDIAN));
            // A header announcing 2^31 units: refused from the header, never buffered.
            try {
                out.write(new byte[] {0, 6, 0, 0, (byte) 0x80, 0, 0, 0});
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, IceErrorCode.PROTOCOL_VIOLATION);
    }

    private static void expectFailure(Consumer<OutputStream> script, IceErrorCode expected) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> peer = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    script.accept(s.getOutputStream());
                    s.getInputStream().readAllBytes(); // until Sluice closes
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            StepVerifier.create(IceConnector.create().authority(IceAuthority.empty()).open("tcp/127.0.0.1:" + server.getLocalPort()))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(IceException.class);
                        assertThat(((IceException) e).errorCode()).isEqualTo(expected);
                    })
                    .verify(WAIT);
            peer.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static void write(OutputStream out, IceMessage message) {
        ByteBuf buf = Unpooled.buffer();
        IceMessageCodec.encode(message, message instanceof IceMessage.ByteOrderMessage b ? b.order()
                : ByteOrder.LITTLE_ENDIAN, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        try {
            out.write(bytes);
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
