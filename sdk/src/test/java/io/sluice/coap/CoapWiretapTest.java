package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import reactor.core.publisher.Mono;

/**
 * The wiretap logs each decoded and each sent message on one line, with a hex dump when its logger
 * is at TRACE (the test's category is, in simplelogger.properties), and stays silent when off.
 */
class CoapWiretapTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aTappedServerLogsEachMessageBothWaysWithAHexDumpAtTrace() {
        String log = captured(() -> exchange(CoapServer.create().wiretap("sluice.test.wiretap.coap", Level.DEBUG)));
        assertThat(log).contains("sluice.test.wiretap.coap").contains("] IN CON 0.01 GET").contains("Uri-Path")
                .contains("] OUT ACK 2.05 Content").contains("+-------------------------------------------------+");
    }

    @Test
    void anUntappedServerLogsNoMessage() {
        String log = captured(() -> exchange(CoapServer.create()));
        assertThat(log).doesNotContain("] IN CON 0.01 GET").doesNotContain("] OUT ACK 2.05 Content");
    }

    private static void exchange(CoapServer spec) {
        LiveCoapServer server = spec.port(0).route(r -> r.get("/hello", req -> Mono.just(CoapResponse.content("hi")))).bind().block(WAIT);
        try {
            CoapSession client = CoapClient.create().connect("coap://127.0.0.1:" + server.localAddress().getPort()).block(WAIT);
            assertThat(client.request(CoapRequest.get("/hello")).block(WAIT).code()).isEqualTo(CoapCode.CONTENT);
            client.release();
        } finally {
            server.dispose();
        }
    }

    /** What slf4j-simple wrote to standard error while {@code run} ran (it still reaches the real stream too). */
    static String captured(Runnable run) {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public synchronized void write(int b) {
                original.write(b);
                copy.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                copy.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setErr(original);
        }
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }
}
