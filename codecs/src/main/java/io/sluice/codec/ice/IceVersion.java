package io.sluice.codec.ice;

/**
 * A protocol version as ICE negotiates it: two CARD16s.
 *
 * @param major the major version, 0–65535
 * @param minor the minor version, 0–65535
 */
public record IceVersion(int major, int minor) {

    /**
     * @param major the major version
     * @param minor the minor version
     */
    public IceVersion {
        if (major < 0 || major > 0xFFFF || minor < 0 || minor > 0xFFFF) {
            throw new IllegalArgumentException("an ICE version is two CARD16s, got " + major + "." + minor);
        }
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
