package io.sluice.samples.switching;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.Fields;
import io.sluice.codec.MessageCodec;
import io.sluice.messaging.Facility;
import io.sluice.peer.CallType;
import io.sluice.peer.PayloadCodecs;
import java.util.List;

/**
 * The "switch" facility: monitoring and control of a message switch's queues, shared by the
 * management client and the server. Immutable constants.
 *
 * <ul>
 *   <li>{@link #QUEUE_STATUS}: a stream of snapshots of every queue; a slow subscriber gets the
 *       latest snapshot, never a backlog;</li>
 *   <li>{@link #LIST}, {@link #HOLD}, {@link #RELEASE}, {@link #DELETE}: message operations;</li>
 *   <li>{@link #EVENT_LOG}: the switch's event log, the last {@code n} entries then live ones.</li>
 * </ul>
 * Failures of the operations are application statuses: {@link #NO_SUCH_MESSAGE},
 * {@link #NO_SUCH_QUEUE}.
 */
public final class SwitchFacility {

    /** Application status: the message id is unknown (delivered, deleted, or never there). */
    public static final int NO_SUCH_MESSAGE = 2001;
    /** Application status: the queue name is unknown. */
    public static final int NO_SUCH_QUEUE = 2002;

    /** One queue at one moment. */
    public record QueueStatus(String queue, int depth, int held, long oldestAgeMillis) {
    }

    /** Every queue at one moment. */
    public record Snapshot(long sequence, List<QueueStatus> queues) {
    }

    /** A message waiting in a queue. */
    public record Message(long id, String queue, String originator, String recipient, int size, boolean held) {
    }

    /** One entry of the event log. */
    public record Event(long sequence, long timeMillis, String kind, long messageId, String text) {
    }

    static final MessageCodec<Snapshot> SNAPSHOT = Fields.codec((s, out) -> {
        Fields.writeInt64(out, s.sequence());
        Fields.writeList(out, s.queues(), (o, q) -> {
            Fields.writeString(o, q.queue());
            Fields.writeInt32(o, q.depth());
            Fields.writeInt32(o, q.held());
            Fields.writeInt64(o, q.oldestAgeMillis());
        });
    }, r -> new Snapshot(r.int64("sequence"), r.list("queues", q -> new QueueStatus(q.string("queue"), q.int32("depth"),
            q.int32("held"), q.int64("oldest age")))));

    private static void writeMessage(ByteBuf out, Message m) {
        Fields.writeInt64(out, m.id());
        Fields.writeString(out, m.queue());
        Fields.writeString(out, m.originator());
        Fields.writeString(out, m.recipient());
        Fields.writeInt32(out, m.size());
        Fields.writeBool(out, m.held());
    }

    private static Message readMessage(Fields.Reader r) {
        return new Message(r.int64("id"), r.string("queue"), r.string("originator"), r.string("recipient"), r.int32("size"),
                r.bool("held"));
    }

    static final MessageCodec<Message> MESSAGE = Fields.codec((m, out) -> writeMessage(out, m), SwitchFacility::readMessage);
    static final MessageCodec<List<Message>> MESSAGES = Fields.codec((l, out) -> Fields.writeList(out, l, SwitchFacility::writeMessage),
            r -> r.list("messages", SwitchFacility::readMessage));
    static final MessageCodec<Long> ID = Fields.codec((v, out) -> Fields.writeInt64(out, v), r -> r.int64("id"));
    static final MessageCodec<Integer> COUNT = Fields.codec((v, out) -> Fields.writeInt32(out, v), r -> r.int32("count"));
    static final MessageCodec<Event> EVENT = Fields.codec((e, out) -> {
        Fields.writeInt64(out, e.sequence());
        Fields.writeInt64(out, e.timeMillis());
        Fields.writeString(out, e.kind());
        Fields.writeInt64(out, e.messageId());
        Fields.writeString(out, e.text());
    }, r -> new Event(r.int64("sequence"), r.int64("time"), r.string("kind"), r.int64("message id"), r.string("text")));

    /** Queue snapshots; the request is the period in milliseconds (at least 10). */
    public static final CallType<Integer, Snapshot> QUEUE_STATUS = CallType.stream(300, "switch.queue-status", COUNT, SNAPSHOT);
    /** The messages of a queue, by name. */
    public static final CallType<String, List<Message>> LIST = CallType.unary(301, "switch.list", PayloadCodecs.utf8(), MESSAGES);
    /** Holds a message: it stays queued until released. */
    public static final CallType<Long, Message> HOLD = CallType.unary(302, "switch.hold", ID, MESSAGE);
    /** Releases a held message. */
    public static final CallType<Long, Message> RELEASE = CallType.unary(303, "switch.release", ID, MESSAGE);
    /** Deletes a message without delivering it. */
    public static final CallType<Long, Message> DELETE = CallType.unary(304, "switch.delete", ID, MESSAGE);
    /** The event log: the last {@code n} entries (the request), then live ones. */
    public static final CallType<Integer, Event> EVENT_LOG = CallType.stream(305, "switch.event-log", COUNT, EVENT);

    /** The facility. */
    public static final Facility SWITCH = Facility.of("switch", QUEUE_STATUS, LIST, HOLD, RELEASE, DELETE, EVENT_LOG);

    private SwitchFacility() {
    }
}
