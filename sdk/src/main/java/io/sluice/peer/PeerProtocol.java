package io.sluice.peer;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The call types a peer speaks, by tag (lwmsg's {@code LWMsgProtocol}). Immutable.
 */
public final class PeerProtocol {

    private final Map<Integer, CallType<?, ?>> byTag;

    private PeerProtocol(Map<Integer, CallType<?, ?>> byTag) {
        this.byTag = byTag;
    }

    /**
     * @param types the call types; tags must be unique
     * @return the protocol
     * @throws IllegalArgumentException on a duplicate tag
     */
    public static PeerProtocol of(CallType<?, ?>... types) {
        Map<Integer, CallType<?, ?>> map = new HashMap<>();
        for (CallType<?, ?> t : types) {
            CallType<?, ?> previous = map.putIfAbsent(t.tag(), t);
            if (previous != null) {
                throw new IllegalArgumentException("tag " + t.tag() + " is used by both " + previous + " and " + t);
            }
        }
        return new PeerProtocol(Collections.unmodifiableMap(map));
    }

    /**
     * @param tag a message tag
     * @return its call type, if the protocol has one
     */
    public Optional<CallType<?, ?>> type(int tag) {
        return Optional.ofNullable(byTag.get(tag));
    }

    /**
     * @param type a call type
     * @return whether this protocol has exactly that call type at its tag
     */
    public boolean contains(CallType<?, ?> type) {
        return byTag.get(type.tag()) == type;
    }

    /** @return every call type */
    public Collection<CallType<?, ?>> types() {
        return byTag.values();
    }
}
