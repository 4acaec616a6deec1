package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.ice.IceError;
import io.sluice.codec.ice.IceMessage;
import io.sluice.codec.ice.IceMessageCodec;
import io.sluice.codec.ice.IceVersion;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.sluice.ice.IceAuthEntry;
import io.sluice.ice.IceAuthMethod;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceCloseStatus;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceConnector;
import io.sluice.ice.IceErrorCode;
import io.sluice.ice.IceException;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice's ICE codec against libICE itself: a C acceptor built here with gcc ({@code libice-dev})
 * is spoken to in big-endian messages encoded by Sluice, and answers in its own (little-endian on
 * x86) byte order, decoded by Sluice: connection setup, protocol setup, ping, an unknown minor
 * opcode (libICE's BadMinor error) and WantToClose with an active protocol (NoClose); then Sluice's
 * connector against it, with host-based acceptance and with MIT-MAGIC-COOKIE-1 (right and wrong).
 */
class IceLibIceCodecInteropTest {

    private static final Path SOURCE = Path.of("src/test/c/ice_acceptor.c");

    @TempDir
    Path dir;

    private final Limits limits = Limits.defaults();

    @Test
    @Timeout(60) // blocking reads without a timeout of their own: interrupting the channel ends them
    void libIceUnderstandsSluicesMessagesAndSluiceUnderstandsLibIce() throws Exception {
        try (PeerProcess acceptor = PeerProcess.exec(compileAcceptor().toString())) {
            String unix = unixNetworkId(acceptor);
            Path socket = Path.of(unix.substring(unix.indexOf(':') + 1));
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                ByteOrder mine = ByteOrder.BIG_ENDIAN;
                send(channel, new IceMessage.ByteOrderMessage(mine), mine);
                send(channel, new IceMessage.ConnectionSetup(false, "Sluice", "0.1", List.of(), List.of(new IceVersion(1, 0))), mine);

                IceMessage first = receive(channel, ByteOrder.BIG_ENDIAN);
                assertThat(first).isInstanceOf(IceMessage.ByteOrderMessage.class);
                ByteOrder theirs = ((IceMessage.ByteOrderMessage) first).order();
                assertThat(theirs).isEqualTo(ByteOrder.nativeOrder());
                IceMessage reply = receive(channel, theirs);
                assertThat(reply).isInstanceOfSatisfying(IceMessage.ConnectionReply.class, r -> {
                    assertThat(r.versionIndex()).isZero();
                    assertThat(r.vendor()).isNotEmpty();
                });
                acceptor.await("ACCEPTED");

                send(channel, new IceMessage.ProtocolSetup(1, false, "SLUICETEST", "Sluice", "0.1", List.of(),
                        List.of(new IceVersion(2, 0), new IceVersion(1, 0))), mine);
                IceMessage protocolReply = receive(channel, theirs);
                assertThat(protocolReply).isInstanceOfSatisfying(IceMessage.ProtocolReply.class, r -> {
                    assertThat(r.versionIndex()).as("1.0 is the second version offered").isEqualTo(1);
                    assertThat(r.vendor()).isEqualTo("libICE-test");
                    assertThat(r.release()).isEqualTo("1.0");
                });
                acceptor.await("PROTOCOL-SETUP Sluice 0.1");

                send(channel, new IceMessage.Ping(), mine);
                assertThat(receive(channel, theirs)).isInstanceOf(IceMessage.PingReply.class);

                // An ICE minor opcode that does not exist: libICE answers BadMinor and carries on.
                ByteBuf bogus = Unpooled.wrappedBuffer(new byte[] {0, 99, 0, 0, 0, 0, 0, 0});
                channel.write(bogus.nioBuffer());
                bogus.release();
                assertThat(receive(channel, theirs)).isInstanceOfSatisfying(IceMessage.Error.class, e -> {
                    assertThat(e.errorClass()).isEqualTo(IceError.BAD_MINOR);
                    assertThat(e.offendingMinorOpcode()).isEqualTo(99);
                    assertThat(e.severity()).isEqualTo(IceError.CAN_CONTINUE);
                    assertThat(e.offendingSequenceNumber()).as("the 5th message this side sent").isEqualTo(5);
                });
                send(channel, new IceMessage.Ping(), mine);
                assertThat(receive(channel, theirs)).isInstanceOf(IceMessage.PingReply.class);

                // A protocol is still active on the acceptor's side, so it declines to close.
                send(channel, new IceMessage.WantToClose(), mine);
                assertThat(receive(channel, theirs)).isInstanceOf(IceMessage.NoClose.class);
            }
        }
    }

    @Test
    @Timeout(60)
    void sluiceConnectorAgainstALibIceAcceptor() throws Exception {
        try (PeerProcess acceptor = PeerProcess.exec(compileAcceptor().toString())) {
            String unix = unixNetworkId(acceptor);
            // An unreachable ID first: the list is tried in order.
            IceProtocol test = IceProtocol.of("SLUICETEST", "Sluice", "0.1", new IceVersion(2, 0), new IceVersion(1, 0));
            IceProtocol unknown = IceProtocol.of("NOSUCHPROTOCOL", "Sluice", "0.1", new IceVersion(1, 0));
            IceConnection connection = IceConnector.create().protocols(test, unknown).open("tcp/127.0.0.1:1," + unix)
                    .block(Duration.ofSeconds(20));
            try {
                assertThat(connection.connectionString()).isEqualTo(unix);
                assertThat(connection.version()).isEqualTo(new IceVersion(1, 0));
                assertThat(connection.vendor()).isNotEmpty();
                assertThat(connection.peerByteOrder()).isEqualTo(ByteOrder.nativeOrder());
                IceProtocolSession session = connection.setup(test).block(Duration.ofSeconds(20));
                assertThat(session.version()).isEqualTo(new IceVersion(1, 0));
                assertThat(session.vendor()).isEqualTo("libICE-test");
                assertThat(session.release()).isEqualTo("1.0");
                acceptor.await("PROTOCOL-SETUP Sluice 0.1");
                StepVerifier.create(connection.setup(unknown))
                        .expectErrorSatisfies(e -> {
                            assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.PROTOCOL_REFUSED);
                            assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.UNKNOWN_PROTOCOL);
                            assertThat(e.getMessage()).contains("UnknownProtocol");
                        }).verify(Duration.ofSeconds(20));
                StepVerifier.create(connection.ping()).assertNext(rtt -> assertThat(rtt).isPositive()).verifyComplete();
                assertThat(connection.close().block(Duration.ofSeconds(20))).isEqualTo(IceCloseStatus.CONNECTION_IN_USE);
                session.shutdown();
                // libICE still counts the protocol as active on its side, so it answers NoClose.
                assertThat(connection.close().block(Duration.ofSeconds(20))).isEqualTo(IceCloseStatus.PEER_IN_USE);
                assertThat(connection.lastSentSequenceNumber()).isGreaterThanOrEqualTo(6);
            } finally {
                connection.dispose();
            }
            StepVerifier.create(connection.onClose()).expectComplete().verify(Duration.ofSeconds(20));
            acceptor.await("CLOSED");
        }
    }

    @Test
    @Timeout(60)
    void sluiceConnectorWithMitMagicCookieAgainstALibIceAcceptor() throws Exception {
        byte[] cookie = new byte[16];
        new java.security.SecureRandom().nextBytes(cookie);
        String hex = java.util.HexFormat.of().formatHex(cookie);
        try (PeerProcess acceptor = PeerProcess.exec(compileAcceptor().toString(), hex)) {
            String unix = unixNetworkId(acceptor);
            IceProtocol test = IceProtocol.of("SLUICETEST", "Sluice", "0.1", new IceVersion(1, 0)).withAuth(IceAuthMethod.mitMagicCookie1());
            // Through the file format libICE itself would read: written, then read back.
            Path file = dir.resolve("ICEauthority");
            IceAuthority.empty()
                    .with(new IceAuthEntry("ICE", new byte[0], unix, IceAuthority.MIT_MAGIC_COOKIE_1, cookie))
                    .with(new IceAuthEntry("SLUICETEST", new byte[0], unix, IceAuthority.MIT_MAGIC_COOKIE_1, cookie))
                    .write(file);
            IceConnection connection = IceConnector.create().protocols(test).authority(IceAuthority.read(file)).mustAuthenticate(true)
                    .open(unix).block(Duration.ofSeconds(20));
            try {
                acceptor.await("ACCEPTED");
                IceProtocolSession session = connection.setup(test, true).block(Duration.ofSeconds(20));
                assertThat(session.vendor()).isEqualTo("libICE-test");
                acceptor.await("PROTOCOL-SETUP Sluice 0.1");
            } finally {
                connection.dispose();
            }

            // Another cookie: libICE rejects it with AuthRejected.
            byte[] wrong = cookie.clone();
            wrong[0] ^= 1;
            IceAuthority forged = IceAuthority.empty()
                    .with(new IceAuthEntry("ICE", new byte[0], unix, IceAuthority.MIT_MAGIC_COOKIE_1, wrong));
            StepVerifier.create(IceConnector.create().protocols(test).authority(forged).open(unix))
                    .expectErrorSatisfies(e -> {
                        assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.AUTH_REJECTED);
                        assertThat(((IceException) e).peerError().errorClass()).isEqualTo(IceError.AUTH_REJECTED);
                    }).verify(Duration.ofSeconds(20));
            // And no cookie at all, with host-based acceptance off: NoAuthentication.
            StepVerifier.create(IceConnector.create().protocols(test).authority(IceAuthority.empty()).open(unix))
                    .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.AUTH_REQUIRED))
                    .verify(Duration.ofSeconds(20));
        }
    }

    private Path compileAcceptor() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/X11/ICE/ICElib.h")), "libice-dev is not installed");
        Path binary = dir.resolve("ice_acceptor");
        PeerProcess gcc = PeerProcess.exec("gcc", "-Wall", "-o", binary.toString(), SOURCE.toAbsolutePath().toString(), "-lICE");
        String compiled = gcc.awaitExit();
        assertThat(gcc.exitValue()).as("gcc: %s", compiled).isZero();
        return binary;
    }

    private static String unixNetworkId(PeerProcess acceptor) throws InterruptedException {
        String listen = acceptor.await("LISTEN ");
        return List.of(listen.substring("LISTEN ".length()).split(",")).stream()
                .filter(id -> id.startsWith("unix/")).findFirst().orElseThrow();
    }

    private static void send(SocketChannel channel, IceMessage message, ByteOrder order) throws IOException {
        ByteBuf out = Unpooled.buffer();
        try {
            IceMessageCodec.encode(message, order, out);
            ByteBuffer bytes = out.nioBuffer();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } finally {
            out.release();
        }
    }

    private IceMessage receive(SocketChannel channel, ByteOrder order) throws IOException {
        ByteBuffer header = readFully(channel, 8);
        ByteBuf frame = Unpooled.buffer();
        try {
            frame.writeBytes(header);
            long length = IceMessageCodec.frameLength(frame, order);
            assertThat(length).isBetween(8L, 65_536L);
            frame.writeBytes(readFully(channel, (int) length - 8));
            return IceMessageCodec.decode(frame, order, limits);
        } finally {
            frame.release();
        }
    }

    private static ByteBuffer readFully(SocketChannel channel, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(n);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("libICE closed the connection after " + buffer.position() + " of " + n + " bytes");
            }
        }
        return buffer.flip();
    }
}
