package io.sluice.ice;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One entry of an ICE authority ({@code IceAuthFileEntry}): the data a method needs to
 * authenticate one protocol on one network ID. Immutable; the byte arrays are copied in and out.
 *
 * @param protocolName {@code ICE} for the connection setup, or a protocol's name such as {@code XSMP}
 * @param protocolData protocol-specific data (empty for the protocols in use)
 * @param networkId the network ID the entry applies to, exactly as the acceptor announces it
 * @param authName the authentication method, e.g. {@code MIT-MAGIC-COOKIE-1}
 * @param authData the method's secret, e.g. the cookie
 */
public record IceAuthEntry(String protocolName, byte[] protocolData, String networkId, String authName, byte[] authData) {

    /**
     * Checks the fields and copies the arrays; every field fits libICE's 16-bit counted strings.
     *
     * @param protocolName {@code ICE} or a protocol's name
     * @param protocolData protocol-specific data
     * @param networkId the network ID
     * @param authName the authentication method
     * @param authData the method's secret
     */
    public IceAuthEntry {
        Objects.requireNonNull(protocolName, "protocolName");
        Objects.requireNonNull(networkId, "networkId");
        Objects.requireNonNull(authName, "authName");
        protocolData = protocolData.clone();
        authData = authData.clone();
        for (int length : new int[] {protocolName.length(), protocolData.length, networkId.length(), authName.length(), authData.length}) {
            if (length > 0xFFFF) {
                throw new IllegalArgumentException("an ICE authority field holds at most 65535 bytes, got " + length);
            }
        }
    }

    /** @return a copy of the protocol data */
    @Override
    public byte[] protocolData() {
        return protocolData.clone();
    }

    /** @return a copy of the secret */
    @Override
    public byte[] authData() {
        return authData.clone();
    }

    /** @return whether this entry is for the protocol, network ID and method given (libICE compares all three exactly) */
    boolean matches(String protocol, String id, String method) {
        return protocolName.equals(protocol) && networkId.equals(id) && authName.equals(method);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IceAuthEntry e && e.protocolName.equals(protocolName) && Arrays.equals(e.protocolData, protocolData)
                && e.networkId.equals(networkId) && e.authName.equals(authName) && Arrays.equals(e.authData, authData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(protocolName, networkId, authName) * 31 + Arrays.hashCode(authData);
    }

    /** The secret is not printed; its length is. */
    @Override
    public String toString() {
        return "IceAuthEntry[" + protocolName + (protocolData.length == 0 ? "" : " " + HexFormat.of().formatHex(protocolData)) + ", "
                + networkId + ", " + authName + ", " + authData.length + " secret bytes]";
    }
}
