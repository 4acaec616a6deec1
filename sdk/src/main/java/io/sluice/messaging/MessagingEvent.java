package io.sluice.messaging;

import io.sluice.error.SluiceException;
import io.sluice.messaging.sasl.Authenticated;
import java.util.List;

/**
 * What happens to a {@link MessagingSession} after it opened, pushed to {@link MessagingSession#events()}
 * (this replaces SOM's event polling and session callback).
 */
public sealed interface MessagingEvent {

    /**
     * The session authenticated again, through {@code reopen}.
     *
     * @param who the new identity
     */
    record Reauthenticated(Authenticated who) implements MessagingEvent {
    }

    /**
     * A {@code reopen} failed; the session stays connected but is not authenticated.
     *
     * @param error why
     */
    record AuthenticationFailed(SluiceException error) implements MessagingEvent {
    }

    /**
     * Subordinate objects were cleared.
     *
     * @param facilities the facility names cleared
     * @param released how many live objects the server released
     * @param local how many answers in progress on this side ended
     */
    record Cleared(List<String> facilities, int released, int local) implements MessagingEvent {
    }

    /**
     * The connection was lost; the session is closed.
     *
     * @param error why
     */
    record ConnectionLost(SluiceException error) implements MessagingEvent {
    }

    /** The session was closed by this side. The last event. */
    record Closed() implements MessagingEvent {
    }
}
