package io.sluice.peer;

import java.net.SocketAddress;
import java.time.Duration;

/**
 * A call beginning or ending, for logging and statistics (lwmsg's trace functions).
 *
 * @param direction whether this peer received or made the call
 * @param phase begin or end
 * @param callId the call's id on its connection
 * @param type the call type
 * @param status {@link PeerStatus#OK} at begin and on success; otherwise why the call ended
 * @param duration zero at begin; the time from begin to end
 * @param remote the other side's address, or {@code null} when unknown
 */
public record CallTrace(Direction direction, Phase phase, long callId, CallType<?, ?> type, PeerStatus status,
                        Duration duration, SocketAddress remote) {

    /** Who made the call. */
    public enum Direction {
        /** The remote side called this peer. */
        INCOMING,
        /** This peer called the remote side. */
        OUTGOING
    }

    /** Which end of the call. */
    public enum Phase {
        /** The call started. */
        BEGIN,
        /** The call ended. */
        END
    }

    @Override
    public String toString() {
        return direction + " " + phase + " #" + callId + " " + type.name()
                + (phase == Phase.END ? " " + status + " in " + duration.toNanos() / 1000 + " µs" : "");
    }
}
