package io.sluice.coap;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.codec.coap.CoapCode;
import io.sluice.wiretap.CapturedLog;
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
        String log = CapturedLog.during(() -> exchange(CoapServer.create().wiretap("sluice.test.wiretap.coap", Level.DEBUG)));
        assertThat(log).contains("sluice.test.wiretap.coap").contains("] IN CON 0.01 GET").contains("Uri-Path")
                .contains("] OUT ACK 2.05 Content").contains("+-------------------------------------------------+");
    }

    @Test
    void anUntappedServerLogsNoMessage() {
        String log = CapturedLog.during(() -> exchange(CoapServer.create()));
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
}
