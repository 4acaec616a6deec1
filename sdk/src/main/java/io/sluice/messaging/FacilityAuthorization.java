package io.sluice.messaging;

import io.sluice.messaging.sasl.Authenticated;
import java.util.Map;
import java.util.Set;

/**
 * Which facilities an authenticated user may use; asked by the {@link MessagingServer} on every
 * facility call. Must be fast and non-blocking (it runs on event loops) and thread-safe.
 */
@FunctionalInterface
public interface FacilityAuthorization {

    /**
     * @param who the authenticated user, with the role in force
     * @param facility the facility called
     * @return whether the call may go ahead
     */
    boolean permits(Authenticated who, Facility facility);

    /**
     * Grants facilities by the role in force ({@link Authenticated#role()}: the role asked for at
     * authentication, or the user name itself; {@code anonymous} for anonymous sessions).
     *
     * @param facilitiesByRole facility names each role may use
     * @return the authorization
     */
    static FacilityAuthorization byRole(Map<String, Set<String>> facilitiesByRole) {
        Map<String, Set<String>> copy = Map.copyOf(facilitiesByRole);
        return (who, facility) -> copy.getOrDefault(who.role(), Set.of()).contains(facility.name());
    }
}
