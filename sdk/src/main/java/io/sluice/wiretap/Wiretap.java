package io.sluice.wiretap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Where and at what level a live object logs the messages it decodes and sends. Immutable and
 * thread-safe; called on event loops, so it only formats and hands lines to SLF4J (whose binding
 * must not block them).
 *
 * <p>Call sites check {@link #enabled()} before building a line, so a tap that is off, or whose
 * logger is above the tap's level, costs nothing. Buffers passed to {@link #log} are read without
 * moving their indexes and never retained or released.
 */
public final class Wiretap {

    /** The parent of every protocol's default category. */
    public static final String CATEGORY_PREFIX = "io.sluice.wiretap.";

    private static final Wiretap OFF = new Wiretap(null, Level.DEBUG);

    private final Logger logger;
    private final Level level;

    private Wiretap(Logger logger, Level level) {
        this.logger = logger;
        this.level = level;
    }

    /** @return the tap every spec starts with: logs nothing */
    public static Wiretap off() {
        return OFF;
    }

    /**
     * @param protocol the protocol's short name ({@code coap}, {@code dtls}, ...)
     * @param on whether to log
     * @return a DEBUG tap under {@code io.sluice.wiretap.<protocol>}, or {@link #off()}
     */
    public static Wiretap of(String protocol, boolean on) {
        return on ? of(CATEGORY_PREFIX + protocol, Level.DEBUG) : OFF;
    }

    /**
     * @param category the SLF4J logger name
     * @param level the level of the per-message lines (hex dumps need TRACE in any case)
     * @return a tap logging there
     */
    public static Wiretap of(String category, Level level) {
        return new Wiretap(LoggerFactory.getLogger(Objects.requireNonNull(category, "category")),
                Objects.requireNonNull(level, "level"));
    }

    /** @return whether a line would be logged now: the tap is on and its logger takes its level */
    public boolean enabled() {
        return logger != null && logger.isEnabledForLevel(level);
    }

    /**
     * Logs one message.
     *
     * @param connection who the message is with (for example {@code "udp 127.0.0.1:5683"})
     * @param direction {@code "IN"} or {@code "OUT"}
     * @param summary the decoded message, one line
     * @param bytes the message's bytes for the TRACE hex dump, or {@code null}
     */
    public void log(Object connection, String direction, Object summary, ByteBuf bytes) {
        if (logger == null) {
            return;
        }
        if (logger.isEnabledForLevel(level)) {
            logger.atLevel(level).log("[{}] {} {}", connection, direction, summary);
        }
        if (bytes != null && logger.isTraceEnabled()) {
            logger.trace("[{}] {} {} bytes\n{}", connection, direction, bytes.readableBytes(), ByteBufUtil.prettyHexDump(bytes));
        }
    }

    /** @return the category, or {@code "off"} */
    @Override
    public String toString() {
        return logger == null ? "Wiretap[off]" : "Wiretap[" + logger.getName() + " " + level + "]";
    }
}
