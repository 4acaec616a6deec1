package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional: with every io.micrometer jar taken off the class path, a CoAP server
 * and client and a peer pair still serve (metrics and wiretap calls are no-ops), and asking for
 * the global registry says what is missing. (Reflection over a spec's methods, which resolves the
 * {@code metrics(MeterRegistry)} signature, does need Micrometer; calling the spec does not.)
 */
class WithoutMicrometerTest {

    @Test
    void theSdkServesWithoutMicrometerOnTheClassPathAndSaysWhatIsMissingWhenAskedForMetrics() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains(File.separator + "io" + File.separator + "micrometer" + File.separator)) {
                urls.add(toUrl(entry));
            }
        }
        try (URLClassLoader withoutMicrometer = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> scenario = withoutMicrometer.loadClass(Scenario.class.getName());
            @SuppressWarnings("unchecked")
            Callable<String> run = (Callable<String>) scenario.getDeclaredConstructor().newInstance();
            assertThat(run.call()).isEqualTo("micrometer absent; coap 2.05 Content; peer echo: hi; metrics(true): "
                    + "metrics need io.micrometer:micrometer-core on the class path; add it as a dependency first");
        }
    }

    private static URL toUrl(String entry) {
        try {
            return new File(entry).toURI().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs inside the loader without Micrometer: only Sluice, Reactor and Netty types here. */
    public static final class Scenario implements Callable<String> {
        @Override
        public String call() {
            java.time.Duration wait = java.time.Duration.ofSeconds(20);
            StringBuilder out = new StringBuilder(SluiceMeters.micrometerPresent() ? "micrometer present" : "micrometer absent");
            io.sluice.coap.LiveCoapServer server = io.sluice.coap.CoapServer.create().port(0).metrics(false).wiretap(true)
                    .route(r -> r.get("/hello", req -> reactor.core.publisher.Mono.just(io.sluice.coap.CoapResponse.content("hi"))))
                    .bind().block(wait);
            try {
                io.sluice.coap.CoapSession client = io.sluice.coap.CoapClient.create()
                        .connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(wait);
                out.append("; coap ").append(client.request(io.sluice.coap.CoapRequest.get("/hello")).block(wait).code());
                client.release();
            } finally {
                server.dispose();
            }
            io.sluice.peer.CallType<String, String> echo = io.sluice.peer.CallType.unary(1, "echo",
                    io.sluice.peer.PayloadCodecs.utf8(), io.sluice.peer.PayloadCodecs.utf8());
            io.sluice.peer.LivePeer peerServer = io.sluice.peer.Peer.create(io.sluice.peer.PeerProtocol.of(echo))
                    .dispatch(io.sluice.peer.Dispatch.create().handle(echo, (call, text) -> reactor.core.publisher.Mono.just("echo: " + text)))
                    .listen(io.sluice.peer.PeerEndpoint.tcp("127.0.0.1", 0)).start().block(wait);
            io.sluice.peer.LivePeer peerClient = io.sluice.peer.Peer.create(io.sluice.peer.PeerProtocol.of(echo))
                    .connectTo(io.sluice.peer.PeerEndpoint.tcp((java.net.InetSocketAddress) peerServer.listenAddresses().get(0)))
                    .start().block(wait);
            try {
                out.append("; peer ").append(peerClient.connect().call(echo, "hi").block(wait));
            } finally {
                peerClient.disposeNow(wait);
                peerServer.disposeNow(wait);
            }
            try {
                io.sluice.coap.CoapServer.create().metrics(true);
                out.append("; metrics(true) accepted");
            } catch (UnsupportedOperationException e) {
                out.append("; metrics(true): ").append(e.getMessage());
            }
            return out.toString();
        }
    }
}
