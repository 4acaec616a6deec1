package io.sluice.dtls.session;

import java.util.HexFormat;

/**
 * The connection IDs (RFC 9146) of a session. Each side names the ID it wants to find in the
 * records it receives; an empty ID means that side sends IDs but wants none itself.
 *
 * <p>The arrays are copies owned by the caller; like any record of arrays, equality is by identity.
 *
 * @param inbound the ID carried by records sent to this side
 * @param outbound the ID this side writes in the records it sends
 */
public record ConnectionIds(byte[] inbound, byte[] outbound) {

    @Override
    public String toString() {
        return "ConnectionIds[inbound " + hex(inbound) + ", outbound " + hex(outbound) + "]";
    }

    private static String hex(byte[] id) {
        return id.length == 0 ? "(empty)" : HexFormat.of().formatHex(id);
    }
}
