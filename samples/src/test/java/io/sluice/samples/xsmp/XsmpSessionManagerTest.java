package io.sluice.samples.xsmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.ice.IceAuthority;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

/**
 * The sample session manager with real libSM clients (C, built here with gcc against
 * {@code libsm-dev}) and with Sluice's own XSMP client: MIT-MAGIC-COOKIE-1 from the
 * {@code .ICEauthority} file the session manager wrote, registration, properties, the initial
 * save through a second phase and SaveComplete, interaction granted one client at a time, a
 * shutdown a client cancels, and the shutdown cycle SaveYourself / SaveYourselfDone / Die /
 * CloseConnection.
 */
class XsmpSessionManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CLIENT_ID = "117F000001\\d{27}";

    @TempDir
    static Path build;

    @TempDir
    Path dir;

    private static Path smClient;

    @BeforeAll
    static void compileTheLibSmClient() throws Exception {
        if (!Files.exists(Path.of("/usr/include/X11/SM/SMlib.h"))) {
            return;
        }
        smClient = build.resolve("sm_client");
        Process gcc = new ProcessBuilder("gcc", "-Wall", "-o", smClient.toString(), Path.of("src/test/c/sm_client.c").toAbsolutePath().toString(),
                "-lSM", "-lICE").redirectErrorStream(true).start();
        String compiled = new String(gcc.getInputStream().readAllBytes());
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0).as("gcc: %s", compiled).isTrue();
    }

    private Process libSmClient(XsmpSessionManager sm, Path authority, Path output, String... mode) throws IOException {
        assumeTrue(smClient != null, "libsm-dev is not installed");
        List<String> command = new ArrayList<>(List.of(smClient.toString(), sm.networkIds()));
        command.addAll(List.of(mode));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("ICEAUTHORITY", authority.toString());
        return pb.start();
    }

    /** Waits for the session manager to report {@code count} lines starting with {@code prefix}. */
    private static void awaitEvents(XsmpSessionManager sm, String prefix, int count) {
        sm.events().filter(l -> l.startsWith(prefix)).take(count).then().block(WAIT);
    }

    private static final List<String> INITIAL_SAVE = List.of("SAVE 1 0 0", "PROPS 2", "PROP Program ARRAY8 sm_client",
            "PROP RestartCommand LISTofARRAY8 sm_client --restore", "PHASE2", "COMPLETE");

    @Test
    @Timeout(90)
    void twoLibSmClientsKeepPropertiesSaveInTwoPhasesInteractInTurnAndDie() throws Exception {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        List<Process> clients = new ArrayList<>();
        try {
            Path outA = dir.resolve("a.out");
            Path outB = dir.resolve("b.out");
            clients.add(libSmClient(sm, authority, outA));
            awaitEvents(sm, "SaveComplete -> ", 1);
            clients.add(libSmClient(sm, authority, outB));
            awaitEvents(sm, "SaveComplete -> ", 2);
            assertThat(sm.clientCount()).isEqualTo(2);

            sm.shutdown().block(WAIT);
            for (Process p : clients) {
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isZero();
            }
            for (Path out : List.of(outA, outB)) {
                List<String> lines = Files.readAllLines(out);
                assertThat(lines.get(0)).matches("REGISTERED " + CLIENT_ID + " Sluice 0\\.1"); // SmcVendor: XSMP's vendor and release
                List<String> expected = new ArrayList<>(INITIAL_SAVE);
                expected.addAll(List.of("SAVE 2 1 2", "INTERACT", "PHASE2", "DIE",
                        "CLOSED 1")); // SmcClosedASAP: the close happens inside IceProcessMessages
                assertThat(lines.subList(1, lines.size())).containsExactlyElementsOf(expected);
            }

            List<String> events = sm.events().take(Duration.ofMillis(200)).collectList().block(WAIT);
            List<String> shutdownPart = events.subList(events.indexOf("shutdown begins with 2 client(s)"), events.size());
            List<String> interacts = shutdownPart.stream().filter(l -> l.startsWith("Interact -> ") || l.startsWith("InteractDone")).toList();
            // One at a time: the second grant comes after the first client is done.
            assertThat(interacts).hasSize(4);
            assertThat(interacts.get(0)).startsWith("Interact -> ");
            assertThat(interacts.get(1)).startsWith("InteractDone");
            assertThat(interacts.get(2)).startsWith("Interact -> ");
            // Phase 2 only once both are waiting for it, and Die only once both are done.
            int lastRequest = lastIndexOf(shutdownPart, "SaveYourselfPhase2Request");
            int firstPhase2 = shutdownPart.stream().filter(l -> l.startsWith("SaveYourselfPhase2 -> ")).findFirst().map(shutdownPart::indexOf).orElseThrow();
            assertThat(firstPhase2).isGreaterThan(lastRequest);
            int firstDie = shutdownPart.stream().filter(l -> l.startsWith("Die -> ")).findFirst().map(shutdownPart::indexOf).orElseThrow();
            assertThat(firstDie).isGreaterThan(lastIndexOf(shutdownPart, "SaveYourselfDone"));
            assertThat(events).anyMatch(l -> l.startsWith("protocol XSMP 1.0 set up by "))
                    .anyMatch(l -> l.startsWith("CloseConnection [sm_client: asked to die]"));
        } finally {
            clients.forEach(Process::destroyForcibly);
            sm.dispose();
        }
    }

    private static int lastIndexOf(List<String> lines, String prefix) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    @Timeout(90)
    void aLibSmClientCancelsTheFirstShutdownAndDiesInTheSecond() throws Exception {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        Path out = dir.resolve("c.out");
        Process client = libSmClient(sm, authority, out, "cancel");
        try {
            awaitEvents(sm, "SaveComplete -> ", 1);
            String id = sm.events().filter(l -> l.startsWith("RegisterClient")).next().block(WAIT).replaceAll(".*client ID ", "");
            assertThat(sm.properties(id)).containsExactly(new XsmpProperty("Program", "ARRAY8", List.of("sm_client")),
                    new XsmpProperty("RestartCommand", "LISTofARRAY8", List.of("sm_client", "--restore")));

            assertThatThrownBy(() -> sm.shutdown().block(WAIT)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the shutdown was cancelled by client " + id);
            awaitEvents(sm, "shutdown ended, cancelled by ", 1);
            assertThat(sm.clientCount()).isEqualTo(1);

            sm.shutdown().block(WAIT);
            assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
            List<String> lines = Files.readAllLines(out);
            List<String> expected = new ArrayList<>(INITIAL_SAVE);
            expected.addAll(List.of("SAVE 2 1 2", "INTERACT", "CANCELLED", "PHASE2", "SAVE 2 1 2", "INTERACT", "PHASE2", "DIE", "CLOSED 1"));
            assertThat(lines.subList(1, lines.size())).containsExactlyElementsOf(expected);
        } finally {
            client.destroyForcibly();
            sm.dispose();
        }
    }

    @Test
    @Timeout(60)
    void sluicesOwnClientKeepsPropertiesAndGoesThroughTheSameCycle() {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        try {
            XsmpClient client = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            assertThat(client.clientId()).matches(CLIENT_ID);
            XsmpProperty program = new XsmpProperty("Program", "ARRAY8", List.of("sluice"));
            XsmpProperty hint = new XsmpProperty("RestartStyleHint", "CARD8", List.of("\u0002"));
            StepVerifier.create(client.setProperties(List.of(program, hint, new XsmpProperty("UserID", "ARRAY8", List.of("x"))))
                            .then(client.deleteProperties(List.of("UserID")))
                            .then(client.properties()))
                    .expectNext(List.of(program, hint))
                    .verifyComplete();
            assertThat(sm.properties(client.clientId())).containsExactly(program, hint);
            StepVerifier.create(client.events())
                    .expectNext("SaveYourself (type 1, shutdown false) -> saved, SaveYourselfDone")
                    .expectNext("SaveComplete")
                    .then(() -> sm.checkpoint().subscribe())
                    .expectNext("SaveYourself (type 2, shutdown false) -> saved, SaveYourselfDone")
                    .expectNext("SaveComplete")
                    .then(() -> sm.shutdown().subscribe())
                    .expectNext("SaveYourself (type 2, shutdown true) -> saved, SaveYourselfDone")
                    .expectNext("Die -> CloseConnection")
                    .verifyComplete();
            StepVerifier.create(sm.shutdown()).verifyComplete();
        } finally {
            sm.dispose();
        }
    }

    @Test
    @Timeout(60)
    void aMalformedMessageCostsTheClientItsPlaceNotTheSession() {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        try {
            XsmpClient good = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            XsmpClient bad = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            awaitEvents(sm, "SaveComplete -> ", 2);
            // A property list that claims more properties than the body holds.
            StepVerifier.create(bad.sendRaw(Xsmp.SET_PROPERTIES, new byte[] {0, 0, 0, 9, 0, 0, 0, 0})).verifyComplete();
            awaitEvents(sm, "malformed XSMP message 12 from " + bad.clientId(), 1);
            // The session manager dropped its connection: the bad client's stream ends.
            StepVerifier.create(bad.events().filter(l -> false).onErrorComplete()).verifyComplete();
            assertThat(sm.clientCount()).isEqualTo(1);
            StepVerifier.create(good.properties()).expectNext(List.of()).verifyComplete();
        } finally {
            sm.dispose();
        }
    }

    @Test
    @Timeout(60)
    void anOpcodeXsmpDoesNotHaveEarnsABadMinorErrorAndTheClientStays() {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        try {
            XsmpClient client = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            awaitEvents(sm, "SaveComplete -> ", 1);
            StepVerifier errors = StepVerifier.create(client.connection().errors().next())
                    .assertNext(e -> {
                        assertThat(e.offendingMinorOpcode()).isEqualTo(99);
                        assertThat(e.errorClass()).isEqualTo(io.sluice.codec.ice.IceError.BAD_MINOR);
                        assertThat(e.severity()).isEqualTo(io.sluice.codec.ice.IceError.CAN_CONTINUE);
                        assertThat(e.offendingSequenceNumber()).isEqualTo(client.connection().lastSentSequenceNumber());
                    })
                    .expectComplete().verifyLater();
            StepVerifier.create(client.sendRaw(99, new byte[0])).verifyComplete();
            errors.verify(WAIT);
            awaitEvents(sm, "XSMP minor opcode 99 from " + client.clientId() + " -> BadMinor", 1);
            assertThat(sm.clientCount()).isEqualTo(1);
            StepVerifier.create(client.properties()).expectNext(List.of()).verifyComplete();
        } finally {
            sm.dispose();
        }
    }
}
