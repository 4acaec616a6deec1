package io.sluice.wiretap;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What slf4j-simple (the SDK tests' binding, logging to standard error) wrote while a piece of code
 * ran; the lines still reach the real stream. The wiretap tests log under
 * {@code sluice.test.wiretap.*}, at TRACE in simplelogger.properties.
 */
public final class CapturedLog {

    private CapturedLog() {
    }

    /**
     * @param run what to run
     * @return what was logged meanwhile
     */
    public static String during(Runnable run) {
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
