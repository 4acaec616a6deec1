package io.sluice.messaging;

import io.sluice.messaging.sasl.Authenticated;
import java.net.SocketAddress;
import reactor.core.Disposable;

/**
 * What a {@link FacilityHandler} knows about a call: the facility, the authenticated user, and the
 * session's register of subordinate objects. Thread-safe; valid while the session lasts.
 */
public interface FacilityCall {

    /** @return the facility the call belongs to */
    Facility facility();

    /** @return who the session authenticated as */
    Authenticated user();

    /** @return the client's address */
    SocketAddress remoteAddress();

    /**
     * Registers an object the session owns under this facility (a lock, a watch, a cursor): it is
     * disposed on {@code clear} of the facility, on re-authentication and when the session ends.
     * Disposing it earlier is fine; it is then forgotten.
     *
     * @param object the object
     * @return {@code object}
     */
    Disposable track(Disposable object);
}
