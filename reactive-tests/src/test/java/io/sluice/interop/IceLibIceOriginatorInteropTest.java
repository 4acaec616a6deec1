package io.sluice.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.codec.ice.IceVersion;
import io.sluice.ice.IceAuthMethod;
import io.sluice.ice.IceAuthority;
import io.sluice.ice.IceCloseStatus;
import io.sluice.ice.IceConnection;
import io.sluice.ice.IceConnections;
import io.sluice.ice.IceErrorCode;
import io.sluice.ice.IceException;
import io.sluice.ice.IceListener;
import io.sluice.ice.IceProtocol;
import io.sluice.ice.IceProtocolSession;
import io.sluice.ice.LiveIceListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A libICE originator (C, built here with gcc against {@code libice-dev}) connecting to Sluice's
 * {@link IceListener}: connection setup, protocol setup of SLUICETEST, a ping, a protocol message
 * each way under each side's own major opcode, and the close with shutdown negotiation; with
 * host-based acceptance, with MIT-MAGIC-COOKIE-1 cookies that Sluice wrote to an
 * {@code .ICEauthority} file libICE reads, and with a wrong cookie, which Sluice rejects.
 */
class IceLibIceOriginatorInteropTest {

    private static final Path SOURCE = Path.of("src/test/c/ice_originator.c");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final IceConnections registry = IceConnections.create();
    private LiveIceListener listener;

    @AfterEach
    void close() {
        if (listener != null) {
            listener.dispose();
        }
        registry.open().forEach(IceConnection::dispose);
    }

    private final IceProtocol plain = IceProtocol.of("SLUICETEST", "Sluice", "0.1", new IceVersion(1, 0)).withHostBasedAuth(host -> true);

    @Test
    @Timeout(60)
    void hostBasedWithoutAuthentication() throws Exception {
        listener = IceListener.create().registry(registry).unix(dir.resolve("ice.sock")).tcp("127.0.0.1", 0)
                .vendor("SluiceSM", "1.2").protocols(plain).hostBasedAuth(host -> host.equals("tcp/127.0.0.1"))
                .bind().block(WAIT);
        String tcp = listener.listenNetworkIds().get(1);
        runThrough(tcp, dir.resolve("none"), false);
    }

    @Test
    @Timeout(60)
    void mitMagicCookieFromAnIceAuthorityFile() throws Exception {
        IceProtocol secured = IceProtocol.of("SLUICETEST", "Sluice", "0.1", new IceVersion(1, 0)).withAuth(IceAuthMethod.mitMagicCookie1());
        listener = IceListener.create().registry(registry).unix(dir.resolve("ice.sock")).tcp("127.0.0.1", 0)
                .vendor("SluiceSM", "1.2").protocols(secured).bind().block(WAIT);
        IceAuthority cookies = IceAuthority.empty().withNewCookies(listener.listenNetworkIds(), List.of("ICE", "SLUICETEST"));
        listener.authority(cookies);
        Path file = dir.resolve("ICEauthority");
        cookies.write(file);
        // The whole list: libICE takes the first it reaches and looks its cookie up under that ID.
        runThrough(listener.networkIds(), file, true);
    }

    @Test
    @Timeout(60)
    void aWrongCookieIsRejected() throws Exception {
        listener = IceListener.create().registry(registry).unix(dir.resolve("ice.sock"))
                .protocols(plain).bind().block(WAIT);
        List<String> ids = listener.listenNetworkIds();
        listener.authority(IceAuthority.empty().withNewCookies(ids, List.of("ICE")));
        Path file = dir.resolve("ICEauthority");
        IceAuthority.empty().withNewCookies(ids, List.of("ICE")).write(file);
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe(c -> { }, e -> { });
        try (PeerProcess originator = PeerProcess.exec("env", "ICEAUTHORITY=" + file, compile().toString(), ids.get(0), "1")) {
            String failed = originator.await("OPEN-FAILED");
            assertThat(failed).contains("Authentication Rejected").contains("MIT-MAGIC-COOKIE-1");
            originator.awaitExit();
            assertThat(originator.exitValue()).isEqualTo(2);
        }
        StepVerifier.create(accepted)
                .expectErrorSatisfies(e -> assertThat(((IceException) e).errorCode()).isEqualTo(IceErrorCode.REJECTED))
                .verify(WAIT);
        assertThat(listener.rejected()).isEqualTo(1);
    }

    private void runThrough(String networkIds, Path authority, boolean mustAuthenticate) throws Exception {
        Mono<IceConnection> accepted = listener.accept().cache();
        accepted.subscribe();
        try (PeerProcess originator = PeerProcess.exec("env", "ICEAUTHORITY=" + authority, compile().toString(), networkIds,
                mustAuthenticate ? "1" : "0")) {
            IceConnection server = accepted.block(WAIT);
            assertThat(server.vendor()).isNotEmpty();
            assertThat(originator.await("CONNECTED")).contains("SluiceSM 1.2").contains(server.connectionString());
            assertThat(originator.await("PROTOCOL")).contains("1.0 Sluice 0.1");
            IceProtocolSession session = server.acceptedProtocols().blockFirst(WAIT);
            assertThat(session.vendor()).isEqualTo("libICE-test");
            assertThat(session.release()).isEqualTo("1.0");
            // Answer minor 1 with minor 2 and the body reversed, then leave the protocol.
            session.messages().filter(m -> m.minorOpcode() == 1).next()
                    .flatMap(m -> {
                        byte[] reversed = new byte[m.body().length];
                        for (int i = 0; i < reversed.length; i++) {
                            reversed[i] = m.body()[reversed.length - 1 - i];
                        }
                        assertThat(m.data0()).isEqualTo(7);
                        return session.send(2, 0, 0, reversed);
                    })
                    .doFinally(s -> session.shutdown()).subscribe();
            originator.await("PONG");
            assertThat(originator.await("MESSAGE")).isEqualTo("MESSAGE 2 8 7 6 5 4 3 2 1");
            assertThat(originator.await("CLOSE ")).as("IceStartedShutdownNegotiation").isEqualTo("CLOSE 3");
            // As a libICE acceptor does, this side answers NoClose while its application still holds
            // the connection; once it closes too, its WantToClose meets the originator's closed
            // connection, and the originator ends it. (If this close overtakes the originator's
            // WantToClose, the originator answers NoClose and its own WantToClose then closes here.)
            assertThat(server.close().block(WAIT)).isIn(IceCloseStatus.CLOSED_NOW, IceCloseStatus.PEER_IN_USE);
            assertThat(originator.await("CLOSED")).as("IceProcessMessagesConnectionClosed").isEqualTo("CLOSED 2");
            StepVerifier.create(server.onClose()).verifyComplete();
            originator.awaitExit();
            assertThat(originator.exitValue()).isZero();
        }
    }

    private Path compile() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/X11/ICE/ICElib.h")), "libice-dev is not installed");
        Path binary = dir.resolve("ice_originator");
        if (!Files.exists(binary)) {
            PeerProcess gcc = PeerProcess.exec("gcc", "-Wall", "-o", binary.toString(), SOURCE.toAbsolutePath().toString(), "-lICE");
            String compiled = gcc.awaitExit();
            assertThat(gcc.exitValue()).as("gcc: %s", compiled).isZero();
        }
        return binary;
    }
}
