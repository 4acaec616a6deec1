package io.sluice.ice;

import io.sluice.codec.Limits;
import io.sluice.metrics.Telemetry;
import java.util.List;
import java.util.function.Predicate;

/**
 * What one side of ICE connections brings to each of them: its ICE vendor and release, decoder
 * limits, registered protocols (major opcode = position + 1), authentication data and methods for
 * the connection setup, host-based authentication (acceptors), and the registry it joins.
 */
record IceSide(String vendor, String release, Limits limits, List<IceProtocol> protocols, IceAuthority authority,
        List<IceAuthMethod> authMethods, Predicate<String> hostBasedAuth, IceConnections registry, Telemetry observing) {

    IceSide {
        protocols = List.copyOf(protocols);
        authMethods = List.copyOf(authMethods);
        if (protocols.size() > 255) {
            throw new IllegalArgumentException("at most 255 protocols can be registered on one side");
        }
        for (int i = 0; i < protocols.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (protocols.get(i).name().equals(protocols.get(j).name())) {
                    throw new IllegalArgumentException(protocols.get(i).name() + " is registered twice");
                }
            }
        }
    }

    /** @return the registered protocol's major opcode, or -1 */
    int opcodeOf(IceProtocol protocol) {
        return opcodeOf(protocol.name());
    }

    /** @return the opcode of the protocol registered under that name, or -1 */
    int opcodeOf(String name) {
        for (int i = 0; i < protocols.size(); i++) {
            if (protocols.get(i).name().equals(name)) {
                return i + 1;
            }
        }
        return -1;
    }

    IceSide withVendor(String v, String r) {
        return new IceSide(v, r, limits, protocols, authority, authMethods, hostBasedAuth, registry, observing);
    }

    IceSide withLimits(Limits l) {
        return new IceSide(vendor, release, l, protocols, authority, authMethods, hostBasedAuth, registry, observing);
    }

    IceSide withProtocols(List<IceProtocol> p) {
        return new IceSide(vendor, release, limits, p, authority, authMethods, hostBasedAuth, registry, observing);
    }

    IceSide withAuthority(IceAuthority a) {
        return new IceSide(vendor, release, limits, protocols, a, authMethods, hostBasedAuth, registry, observing);
    }

    IceSide withAuthMethods(List<IceAuthMethod> m) {
        return new IceSide(vendor, release, limits, protocols, authority, m, hostBasedAuth, registry, observing);
    }

    IceSide withHostBasedAuth(Predicate<String> h) {
        return new IceSide(vendor, release, limits, protocols, authority, authMethods, h, registry, observing);
    }

    IceSide withRegistry(IceConnections r) {
        return new IceSide(vendor, release, limits, protocols, authority, authMethods, hostBasedAuth, r, observing);
    }

    IceSide withObserving(Telemetry o) {
        return new IceSide(vendor, release, limits, protocols, authority, authMethods, hostBasedAuth, registry, o);
    }
}
