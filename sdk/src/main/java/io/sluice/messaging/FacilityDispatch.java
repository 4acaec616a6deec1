package io.sluice.messaging;

import io.sluice.peer.CallType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The handlers of one facility's call types on a {@link MessagingServer}. Immutable: each
 * {@link #handle} returns a new dispatch.
 */
public final class FacilityDispatch {

    private final Facility facility;
    private final Map<CallType<?, ?>, FacilityHandler<?, ?>> handlers;

    private FacilityDispatch(Facility facility, Map<CallType<?, ?>, FacilityHandler<?, ?>> handlers) {
        this.facility = facility;
        this.handlers = handlers;
    }

    /**
     * @param facility the facility served
     * @return an empty dispatch
     */
    public static FacilityDispatch of(Facility facility) {
        if (facility == Facility.ALL) {
            throw new IllegalArgumentException("Facility.ALL is for clear(); serve a real facility");
        }
        return new FacilityDispatch(Objects.requireNonNull(facility, "facility"), Map.of());
    }

    /**
     * @param type one of the facility's call types
     * @param handler serves it
     * @param <Q> the request type
     * @param <R> the response type
     * @return the new dispatch
     */
    public <Q, R> FacilityDispatch handle(CallType<Q, R> type, FacilityHandler<? super Q, ? extends R> handler) {
        if (!facility.contains(type)) {
            throw new IllegalArgumentException(type + " is not a call type of " + facility);
        }
        Map<CallType<?, ?>, FacilityHandler<?, ?>> copy = new LinkedHashMap<>(handlers);
        copy.put(type, Objects.requireNonNull(handler, "handler"));
        return new FacilityDispatch(facility, Map.copyOf(copy));
    }

    /** @return the facility */
    public Facility facility() {
        return facility;
    }

    Map<CallType<?, ?>, FacilityHandler<?, ?>> handlers() {
        return handlers;
    }
}
