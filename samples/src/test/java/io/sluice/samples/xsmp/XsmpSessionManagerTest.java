package io.sluice.samples.xsmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.ice.IceAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

/**
 * The sample session manager with a real libSM client (C, built here with gcc against
 * {@code libsm-dev}) and with Sluice's own XSMP client: MIT-MAGIC-COOKIE-1 from the
 * {@code .ICEauthority} file the session manager wrote, registration, the initial save, and the
 * shutdown cycle SaveYourself / SaveYourselfDone / Die / CloseConnection.
 */
class XsmpSessionManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    @Timeout(90)
    void aLibSmClientRegistersSavesAndDies() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/X11/SM/SMlib.h")), "libsm-dev is not installed");
        Path binary = dir.resolve("sm_client");
        Process gcc = new ProcessBuilder("gcc", "-Wall", "-o", binary.toString(), Path.of("src/test/c/sm_client.c").toAbsolutePath().toString(),
                "-lSM", "-lICE").redirectErrorStream(true).start();
        String compiled = new String(gcc.getInputStream().readAllBytes());
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0).as("gcc: %s", compiled).isTrue();

        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        try {
            Path output = dir.resolve("sm_client.out");
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), sm.networkIds()).redirectErrorStream(true).redirectOutput(output.toFile());
            pb.environment().put("ICEAUTHORITY", authority.toString());
            Process client = pb.start();
            try {
                String done = sm.events().filter(l -> l.startsWith("SaveYourselfDone")).next().block(WAIT);
                assertThat(done).contains("success true");
                assertThat(sm.clientCount()).isEqualTo(1);
                sm.shutdown().block(WAIT);
                assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
                List<String> lines = Files.readAllLines(output);
                assertThat(lines).hasSize(5);
                assertThat(lines.get(0)).matches("REGISTERED 117F000001\\d{27} Sluice 0\\.1"); // SmcVendor: XSMP's vendor and release
                assertThat(lines.subList(1, 5)).containsExactly("SAVE 1 0", "SAVE 2 1", "DIE",
                        "CLOSED 1"); // SmcClosedASAP: the close happens inside IceProcessMessages
                assertThat(client.exitValue()).isZero();
            } finally {
                client.destroyForcibly();
            }
            List<String> events = sm.events().take(Duration.ofMillis(200)).collectList().block(WAIT);
            assertThat(events).anyMatch(l -> l.startsWith("protocol XSMP 1.0 set up by "))
                    .anyMatch(l -> l.startsWith("CloseConnection [sm_client: asked to die]"));
        } finally {
            sm.dispose();
        }
    }

    @Test
    @Timeout(60)
    void sluicesOwnClientGoesThroughTheSameCycle() {
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        try {
            XsmpClient client = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            assertThat(client.clientId()).startsWith("117F000001");
            sm.events().filter(l -> l.startsWith("SaveYourselfDone")).next().block(WAIT);
            StepVerifier.create(client.events())
                    .expectNext("SaveYourself (type 1, shutdown false) -> saved, SaveYourselfDone")
                    .then(() -> sm.shutdown().subscribe())
                    .expectNext("SaveYourself (type 2, shutdown true) -> saved, SaveYourselfDone")
                    .expectNext("Die -> CloseConnection")
                    .verifyComplete();
            StepVerifier.create(sm.shutdown()).verifyComplete();
        } finally {
            sm.dispose();
        }
    }
}
