package io.sluice.samples.demo;

import io.sluice.ice.IceAuthority;
import io.sluice.samples.xsmp.XsmpClient;
import io.sluice.samples.xsmp.XsmpProperty;
import io.sluice.samples.xsmp.XsmpSessionManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import reactor.core.Disposable;

/** The demo's ICE part: an XSMP session manager on loopback and a Sluice client saving through it. */
final class XsmpDemo {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private XsmpDemo() {
    }

    static void run() throws Exception {
        Path dir = Files.createTempDirectory("sluice-xsmp");
        Path authority = dir.resolve("ICEauthority");
        XsmpSessionManager sm = XsmpSessionManager.start(dir.resolve("sm.sock"), authority).block(WAIT);
        Disposable printing = sm.events().subscribe(line -> System.out.println("  [sm] " + line));
        try {
            System.out.println("  session manager at SESSION_MANAGER=" + sm.networkIds() + ", cookies in " + authority);
            XsmpClient client = XsmpClient.register(sm.networkIds(), IceAuthority.read(authority)).block(WAIT);
            System.out.println("  client registered as " + client.clientId());
            client.events().take(2).doOnNext(line -> System.out.println("  [client] " + line)).blockLast(WAIT);
            client.setProperties(List.of(new XsmpProperty("Program", "ARRAY8", List.of("xsmp-demo")),
                    new XsmpProperty("RestartCommand", "LISTofARRAY8", List.of("xsmp-demo", "--restore")))).block(WAIT);
            System.out.println("  properties the session manager keeps: " + client.properties().block(WAIT));
            System.out.println("  shutting the session down");
            sm.shutdown().block(WAIT);
            client.events().skip(2).doOnNext(line -> System.out.println("  [client] " + line)).blockLast(WAIT);
        } finally {
            printing.dispose();
            sm.dispose();
            Files.deleteIfExists(authority);
            Files.deleteIfExists(dir.resolve("sm.sock"));
            Files.deleteIfExists(dir);
        }
    }
}
