package io.sluice.ice;

import io.sluice.codec.ice.IceVersion;
import java.util.List;
import java.util.Objects;

/**
 * A protocol to run over ICE, as an originator registers it ({@code IceRegisterForProtocolSetup}):
 * its name, the vendor and release of this implementation, and the versions it speaks in
 * preference order. Immutable.
 *
 * @param name the protocol name both sides agree on, e.g. {@code XSMP}
 * @param vendor this implementation's vendor
 * @param release this implementation's release
 * @param versions the versions offered, most preferred first
 */
public record IceProtocol(String name, String vendor, String release, List<IceVersion> versions) {

    /** Checks the fields and copies the versions. */
    public IceProtocol {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(release, "release");
        versions = List.copyOf(versions);
        if (versions.isEmpty() || versions.size() > 255) {
            throw new IllegalArgumentException("a protocol offers 1-255 versions, got " + versions.size());
        }
    }

    /**
     * @param name the protocol name
     * @param vendor the vendor
     * @param release the release
     * @param versions the versions, most preferred first
     * @return the protocol
     */
    public static IceProtocol of(String name, String vendor, String release, IceVersion... versions) {
        return new IceProtocol(name, vendor, release, List.of(versions));
    }
}
