package io.sluice.messaging;

import io.sluice.peer.CallType;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A sub-API that a messaging session uses (SOM's {@code SOM_FACILITY_*}): a name and the call
 * types that belong to it. A client names the facilities a session will use; the server serves
 * facilities and authorizes each user for them; {@code clear} disposes what a facility left behind.
 * Immutable; define each facility once, as a constant shared by client and server.
 *
 * <p>Facility call types use tags from {@link #FIRST_TAG} up; the ones below belong to the session
 * itself. Two facilities of one session must not share a tag.
 */
public final class Facility {

    /** The lowest tag a facility's call type may have. */
    public static final int FIRST_TAG = 100;

    /** Every facility of a session, for {@code clear}. */
    public static final Facility ALL = new Facility("*", List.of());

    private final String name;
    private final List<CallType<?, ?>> calls;

    private Facility(String name, List<CallType<?, ?>> calls) {
        this.name = name;
        this.calls = calls;
    }

    /**
     * Defines a facility.
     *
     * @param name a short name, such as {@code switch}: letters, digits, '-', '_' and '.'
     * @param calls its call types, with tags from {@link #FIRST_TAG}
     * @return the facility
     */
    public static Facility of(String name, CallType<?, ?>... calls) {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("facility names are 1-64 letters, digits, '.', '_' or '-', was '" + name + "'");
        }
        Set<Integer> tags = new HashSet<>();
        for (CallType<?, ?> c : calls) {
            if (c.tag() < FIRST_TAG) {
                throw new IllegalArgumentException(c + " has tag " + c.tag() + "; facility tags start at " + FIRST_TAG);
            }
            if (!tags.add(c.tag())) {
                throw new IllegalArgumentException("facility " + name + " uses tag " + c.tag() + " twice");
            }
        }
        if (calls.length == 0) {
            throw new IllegalArgumentException("facility " + name + " has no call types");
        }
        return new Facility(name, List.of(calls));
    }

    /** @return the name */
    public String name() {
        return name;
    }

    /** @return the call types */
    public List<CallType<?, ?>> calls() {
        return calls;
    }

    /**
     * @param type a call type
     * @return whether it belongs to this facility
     */
    public boolean contains(CallType<?, ?> type) {
        return calls.contains(type);
    }

    @Override
    public String toString() {
        return this == ALL ? "all facilities" : "facility " + name;
    }
}
