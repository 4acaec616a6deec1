package io.sluice.codec.coap;

/** The four message types of RFC 7252 §3, by their two-bit wire value. */
public enum CoapType {
    /** Confirmable: retransmitted until acknowledged or reset. */
    CON,
    /** Non-confirmable: sent once. */
    NON,
    /** Acknowledgement of a confirmable message, possibly carrying a piggy-backed response. */
    ACK,
    /** Reset: the receiver could not process a message. */
    RST;

    private static final CoapType[] BY_VALUE = values();

    /** @return the two-bit wire value */
    public int value() {
        return ordinal();
    }

    /**
     * @param value the two-bit wire value
     * @return the type
     */
    public static CoapType of(int value) {
        return BY_VALUE[value & 3];
    }
}
