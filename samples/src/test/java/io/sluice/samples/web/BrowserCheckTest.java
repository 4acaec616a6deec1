package io.sluice.samples.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The static page in a real browser: headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, installed by CI) opens the page, whose EventSource subscribes to the
 * CoAP observation, and live values must appear. Driven over the W3C WebDriver protocol with the
 * JDK's HTTP client.
 */
class BrowserCheckTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern SESSION = Pattern.compile("\"sessionId\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void thePageShowsLiveSensorValuesAChartAndTheSessionTableOverServerSentEventsAndCoapOverWebSockets() throws Exception {
        assumeTrue(Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
                "headless Chromium is not installed (apt-get install -y chromium chromium-driver)");
        ConfigurableApplicationContext app = SpringApplication.run(SluiceWebApplication.class, "--server.port=0",
                "--sluice.sensor-period=100ms");
        int webPort = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
        int driverPort = freePort();
        Process driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + driverPort).redirectErrorStream(true).start();
        try {
            awaitLine(driver, "started successfully");
            String base = "http://127.0.0.1:" + driverPort;
            String created = post(base + "/session", """
                    {"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"%s",
                    "args":["--headless","--no-sandbox","--disable-gpu","--disable-dev-shm-usage"]}}}}""".formatted(CHROMIUM));
            Matcher id = SESSION.matcher(created);
            assertThat(id.find()).as("WebDriver session: %s", created).isTrue();
            String session = base + "/session/" + id.group(1);
            try {
                post(session + "/url", "{\"url\":\"http://127.0.0.1:" + webPort + "/\"}");
                long deadline = System.nanoTime() + WAIT.toNanos();
                int count = 0;
                while (count < 3 && System.nanoTime() < deadline) {
                    // Each query is a real round trip to the browser; no sleeping between them.
                    count = Integer.parseInt(script(session, "return document.getElementById('count').textContent"));
                }
                assertThat(count).as("notifications shown by the page").isGreaterThanOrEqualTo(3);
                assertThat(script(session, "return document.getElementById('value').textContent")).matches("\\d+\\.\\d\\d °C");
                // The second view: the page's own CoAP-over-WebSockets observation on the HTTP port.
                int wsCount = 0;
                while (wsCount < 3 && System.nanoTime() < deadline) {
                    wsCount = Integer.parseInt(script(session, "return document.getElementById('wsCount').textContent"));
                }
                assertThat(wsCount).as("notifications the page received over CoAP-over-WebSockets").isGreaterThanOrEqualTo(3);
                assertThat(script(session, "return document.getElementById('wsValue').textContent")).matches("\\d+\\.\\d\\d °C");
                // The dashboard: the chart drew the values it got, the session table filled, the counters moved.
                int points = 0;
                while (points < 3 && System.nanoTime() < deadline) {
                    points = Integer.parseInt(script(session,
                            "return String(document.getElementById('line').getAttribute('points').trim().split(' ').filter(p => p).length)"));
                }
                assertThat(points).as("points on the chart").isGreaterThanOrEqualTo(3);
                int rows = 0;
                while (rows < 2 && System.nanoTime() < deadline) {
                    rows = Integer.parseInt(script(session, "return String(document.querySelectorAll('#sessions tbody tr').length)"));
                }
                assertThat(rows).as("rows in the session table").isGreaterThanOrEqualTo(2);
                assertThat(script(session, "return document.querySelector('#sessions tbody').textContent")).contains("established")
                        .contains("TLS_");
                assertThat(script(session, "return document.getElementById('notifications').textContent")).matches("\\d+");
            } finally {
                http.send(HttpRequest.newBuilder(URI.create(session)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            }
        } finally {
            driver.destroy();
            driver.waitFor(10, TimeUnit.SECONDS);
            app.close();
        }
    }

    private String script(String session, String script) throws Exception {
        String answer = post(session + "/execute/sync", "{\"script\":\"" + script.replace("\"", "\\\"") + "\",\"args\":[]}");
        Matcher m = VALUE.matcher(answer);
        assertThat(m.find()).as("script answer: %s", answer).isTrue();
        return m.group(1).replace("\\u00b0", "°");
    }

    private String post(String url, String json) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(WAIT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as("%s -> %s", url, response.body()).isEqualTo(200);
        return response.body();
    }

    private static void awaitLine(Process process, String text) throws InterruptedException {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "chromedriver-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + WAIT.toNanos();
        StringBuilder seen = new StringBuilder();
        for (;;) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("chromedriver did not say '" + text + "'; it said:\n" + seen);
            }
            seen.append(line).append('\n');
            if (line.contains(text)) {
                return;
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
