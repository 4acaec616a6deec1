package io.sluice.coap;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.metrics.Count;
import io.sluice.metrics.MeterGroup;
import io.sluice.metrics.SluiceMeters;
import io.sluice.metrics.Timing;
import io.sluice.wiretap.Wiretap;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one live server, or one client session, counts and logs of its messages: drops by reason,
 * messages and bytes each way, request latencies, notifications, and the wiretap. Shared by every
 * endpoint of a server (a DTLS or TCP server has one per session). Counters are {@link LongAdder}s
 * bumped on event loops and read on scrapes; the meters read them, so recording costs the same
 * with metrics on or off. Timers are only touched when metrics are on.
 */
final class CoapTraffic {

    /** Methods with a tag of their own; any other code is {@code other}. */
    private static final String[] METHODS = {"other", "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"};
    /** Response classes: 2.xx, 4.xx, 5.xx, anything else, and no response at all. */
    private static final String[] CLASSES = {"2.xx", "4.xx", "5.xx", "other", "none"};
    /** The response class of a request that got none (timed out, reset, cancelled, failed). */
    static final int NO_RESPONSE = -1;

    final LongAdder malformed = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder unsent = new LongAdder();
    final LongAdder messagesIn = new LongAdder();
    final LongAdder messagesOut = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder notificationsSent = new LongAdder();
    final LongAdder notificationsDropped = new LongAdder();
    final Wiretap wiretap;
    private final SluiceMeters meters;
    private final String transport;
    private final String role;
    private final MeterGroup group;
    /** [method][class], made on first use: only the combinations that happen become meters. */
    private final Timing[][] requests = new Timing[METHODS.length][CLASSES.length];

    CoapTraffic(SluiceMeters meters, Wiretap wiretap, CoapProtocol protocol, boolean server) {
        this.meters = meters;
        this.wiretap = wiretap;
        this.transport = protocol.name().toLowerCase(Locale.ROOT);
        this.role = server ? "server" : "client";
        this.group = meters.group();
        String[] tags = {"transport", transport, "role", role};
        group.counter("sluice.coap.messages.received", "CoAP messages decoded", "messages", messagesIn::sum, tags)
                .counter("sluice.coap.messages.sent", "CoAP messages encoded and handed to the transport", "messages", messagesOut::sum, tags)
                .counter("sluice.coap.bytes.received", "bytes of CoAP messages decoded", "bytes", bytesIn::sum, tags)
                .counter("sluice.coap.bytes.sent", "bytes of CoAP messages sent", "bytes", bytesOut::sum, tags)
                .counter("sluice.coap.drops", "CoAP messages dropped", "messages", malformed::sum, with(tags, "reason", "malformed"))
                .counter("sluice.coap.drops", "CoAP messages dropped", "messages", duplicates::sum, with(tags, "reason", "duplicate"))
                .counter("sluice.coap.drops", "CoAP messages dropped", "messages", unsent::sum, with(tags, "reason", "overrun"));
        if (server) {
            group.counter("sluice.coap.notifications", "observe notifications", "messages", notificationsSent::sum,
                            with(tags, "outcome", "sent"))
                    .counter("sluice.coap.notifications", "observe notifications", "messages", notificationsDropped::sum,
                            with(tags, "outcome", "dropped"));
        }
    }

    /** Meters off, wiretap off: for tests and internal endpoints. */
    static CoapTraffic untracked(CoapProtocol protocol, boolean server) {
        return new CoapTraffic(SluiceMeters.none(), Wiretap.off(), protocol, server);
    }

    static String[] with(String[] tags, String key, String value) {
        String[] more = java.util.Arrays.copyOf(tags, tags.length + 2);
        more[tags.length] = key;
        more[tags.length + 1] = value;
        return more;
    }

    /** Adds the session gauges: how many of {@code sessions} are of each type in each state. */
    void sessionGauges(Collection<? extends CoapSession> sessions, CoapSessionType... types) {
        for (CoapSessionType type : types) {
            for (CoapSessionState state : CoapSessionState.values()) {
                if (state == CoapSessionState.CLOSED) {
                    continue;
                }
                group.gauge("sluice.coap.sessions", "CoAP sessions by type and state", () -> count(sessions, type, state),
                        "transport", transport, "role", role, "type", type.name().toLowerCase(Locale.ROOT),
                        "state", state.name().toLowerCase(Locale.ROOT));
            }
        }
    }

    private static double count(Collection<? extends CoapSession> sessions, CoapSessionType type, CoapSessionState state) {
        int n = 0;
        for (CoapSession s : sessions) {
            if (s.type() == type && s.state() == state) {
                n++;
            }
        }
        return n;
    }

    /** @return the method's tag value: its name for the seven methods of RFC 7252/8132, else {@code other} */
    static String methodTag(CoapCode method) {
        return METHODS[methodIndex(method)];
    }

    /** @return the response class's tag value: {@code 2.xx}, {@code 4.xx}, {@code 5.xx}, {@code other} or {@code none} */
    static String classTag(int responseClass) {
        return CLASSES[classIndex(responseClass)];
    }

    private static int methodIndex(CoapCode method) {
        return method.codeClass() == 0 && method.detail() >= 1 && method.detail() <= 7 ? method.detail() : 0;
    }

    private static int classIndex(int responseClass) {
        return switch (responseClass) {
            case 2 -> 0;
            case 4 -> 1;
            case 5 -> 2;
            case NO_RESPONSE -> 4;
            default -> 3;
        };
    }

    boolean timed() {
        return meters.enabled();
    }

    /** A request answered (server) or a response received (client) after {@code nanos}. */
    void request(CoapCode method, int responseClass, long nanos) {
        int m = methodIndex(method);
        int c = classIndex(responseClass);
        Timing t = requests[m][c];
        if (t == null) {
            // Racing loops may both look it up: the registry hands both the same timer.
            t = meters.timer("sluice.coap.requests", "CoAP requests from arrival to answer (server) or sending to response (client)",
                    "transport", transport, "role", role, "method", METHODS[m], "response.class", CLASSES[c]);
            requests[m][c] = t;
        }
        t.record(nanos);
    }

    /** A message came in: counted, and logged when the tap is on. */
    void received(CoapMessage message, ByteBuf raw, int start, int length, InetSocketAddress from) {
        messagesIn.increment();
        bytesIn.add(length);
        if (wiretap.enabled()) {
            wiretap.log(transport + " " + from, "IN", message, raw.slice(start, length));
        }
    }

    /** A message went to the transport. */
    void sent(CoapMessage message, ByteBuf encoded, InetSocketAddress to) {
        messagesOut.increment();
        bytesOut.add(encoded.readableBytes());
        if (wiretap.enabled()) {
            wiretap.log(transport + " " + to, "OUT", message, encoded);
        }
    }

    /** A live server's own counters join its meters. */
    void serverCounters(LongAdder refused, LongAdder evicted, LongAdder expired) {
        String[] tags = {"transport", transport, "role", role};
        group.counter("sluice.coap.drops", "CoAP messages dropped", "messages", refused::sum, with(tags, "reason", "refused"))
                .counter("sluice.coap.sessions.freed", "server sessions freed early", "sessions", evicted::sum, with(tags, "reason", "evicted"))
                .counter("sluice.coap.sessions.freed", "server sessions freed early", "sessions", expired::sum, with(tags, "reason", "idle"));
    }

    /** The meters go (a server disposed, a client session freed); the counts stay in the registry's counters. */
    void close() {
        group.dispose();
    }
}
