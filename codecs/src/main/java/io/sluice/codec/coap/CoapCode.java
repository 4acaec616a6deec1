package io.sluice.codec.coap;

import java.util.Map;

/**
 * A CoAP code (RFC 7252 §3, §12.1): a 3-bit class and a 5-bit detail, written {@code c.dd}.
 * Class 0 holds the empty message (0.00) and the request methods; classes 2, 4 and 5 are
 * responses; 7 is signalling (RFC 8323). Immutable; compare with {@code equals}.
 *
 * @param value the 8-bit wire value
 */
public record CoapCode(int value) {

    /** 0.00, the empty message (an empty ACK, a RST, a ping). */
    public static final CoapCode EMPTY = new CoapCode(0);
    /** 0.01 GET. */
    public static final CoapCode GET = of(0, 1);
    /** 0.02 POST. */
    public static final CoapCode POST = of(0, 2);
    /** 0.03 PUT. */
    public static final CoapCode PUT = of(0, 3);
    /** 0.04 DELETE. */
    public static final CoapCode DELETE = of(0, 4);
    /** 0.05 FETCH (RFC 8132). */
    public static final CoapCode FETCH = of(0, 5);
    /** 0.06 PATCH (RFC 8132). */
    public static final CoapCode PATCH = of(0, 6);
    /** 0.07 iPATCH (RFC 8132). */
    public static final CoapCode IPATCH = of(0, 7);
    /** 2.01 Created. */
    public static final CoapCode CREATED = of(2, 1);
    /** 2.02 Deleted. */
    public static final CoapCode DELETED = of(2, 2);
    /** 2.03 Valid. */
    public static final CoapCode VALID = of(2, 3);
    /** 2.04 Changed. */
    public static final CoapCode CHANGED = of(2, 4);
    /** 2.05 Content. */
    public static final CoapCode CONTENT = of(2, 5);
    /** 2.31 Continue (RFC 7959). */
    public static final CoapCode CONTINUE = of(2, 31);
    /** 4.00 Bad Request. */
    public static final CoapCode BAD_REQUEST = of(4, 0);
    /** 4.01 Unauthorized. */
    public static final CoapCode UNAUTHORIZED = of(4, 1);
    /** 4.02 Bad Option. */
    public static final CoapCode BAD_OPTION = of(4, 2);
    /** 4.03 Forbidden. */
    public static final CoapCode FORBIDDEN = of(4, 3);
    /** 4.04 Not Found. */
    public static final CoapCode NOT_FOUND = of(4, 4);
    /** 4.05 Method Not Allowed. */
    public static final CoapCode METHOD_NOT_ALLOWED = of(4, 5);
    /** 4.06 Not Acceptable. */
    public static final CoapCode NOT_ACCEPTABLE = of(4, 6);
    /** 4.08 Request Entity Incomplete (RFC 7959). */
    public static final CoapCode REQUEST_ENTITY_INCOMPLETE = of(4, 8);
    /** 4.12 Precondition Failed. */
    public static final CoapCode PRECONDITION_FAILED = of(4, 12);
    /** 4.13 Request Entity Too Large. */
    public static final CoapCode REQUEST_ENTITY_TOO_LARGE = of(4, 13);
    /** 4.15 Unsupported Content-Format. */
    public static final CoapCode UNSUPPORTED_CONTENT_FORMAT = of(4, 15);
    /** 5.00 Internal Server Error. */
    public static final CoapCode INTERNAL_SERVER_ERROR = of(5, 0);
    /** 5.01 Not Implemented. */
    public static final CoapCode NOT_IMPLEMENTED = of(5, 1);
    /** 5.02 Bad Gateway. */
    public static final CoapCode BAD_GATEWAY = of(5, 2);
    /** 5.03 Service Unavailable. */
    public static final CoapCode SERVICE_UNAVAILABLE = of(5, 3);
    /** 5.04 Gateway Timeout. */
    public static final CoapCode GATEWAY_TIMEOUT = of(5, 4);
    /** 5.05 Proxying Not Supported. */
    public static final CoapCode PROXYING_NOT_SUPPORTED = of(5, 5);
    /** 7.01 CSM, Capabilities and Settings Message (RFC 8323 §5.3). */
    public static final CoapCode CSM = of(7, 1);
    /** 7.02 Ping (RFC 8323 §5.4). */
    public static final CoapCode PING = of(7, 2);
    /** 7.03 Pong (RFC 8323 §5.4). */
    public static final CoapCode PONG = of(7, 3);
    /** 7.04 Release (RFC 8323 §5.5). */
    public static final CoapCode RELEASE = of(7, 4);
    /** 7.05 Abort (RFC 8323 §5.6). */
    public static final CoapCode ABORT = of(7, 5);

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "Empty"), Map.entry(1, "GET"), Map.entry(2, "POST"), Map.entry(3, "PUT"),
            Map.entry(4, "DELETE"), Map.entry(5, "FETCH"), Map.entry(6, "PATCH"), Map.entry(7, "iPATCH"),
            Map.entry(65, "Created"), Map.entry(66, "Deleted"), Map.entry(67, "Valid"), Map.entry(68, "Changed"),
            Map.entry(69, "Content"), Map.entry(95, "Continue"), Map.entry(128, "Bad Request"),
            Map.entry(129, "Unauthorized"), Map.entry(130, "Bad Option"), Map.entry(131, "Forbidden"),
            Map.entry(132, "Not Found"), Map.entry(133, "Method Not Allowed"), Map.entry(134, "Not Acceptable"),
            Map.entry(136, "Request Entity Incomplete"), Map.entry(140, "Precondition Failed"),
            Map.entry(141, "Request Entity Too Large"), Map.entry(143, "Unsupported Content-Format"),
            Map.entry(160, "Internal Server Error"), Map.entry(161, "Not Implemented"), Map.entry(162, "Bad Gateway"),
            Map.entry(163, "Service Unavailable"), Map.entry(164, "Gateway Timeout"),
            Map.entry(165, "Proxying Not Supported"));

    /**
     * @param value the 8-bit wire value
     */
    public CoapCode {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("a CoAP code is 8 bits, was " + value);
        }
    }

    /**
     * @param codeClass the class, 0–7
     * @param detail the detail, 0–31
     * @return the code {@code codeClass.detail}
     */
    public static CoapCode of(int codeClass, int detail) {
        if (codeClass < 0 || codeClass > 7 || detail < 0 || detail > 31) {
            throw new IllegalArgumentException("no CoAP code " + codeClass + "." + detail);
        }
        return new CoapCode(codeClass << 5 | detail);
    }

    /** @return the class, 0–7 */
    public int codeClass() {
        return value >>> 5;
    }

    /** @return the detail, 0–31 */
    public int detail() {
        return value & 31;
    }

    /** @return whether this is 0.00 */
    public boolean isEmpty() {
        return value == 0;
    }

    /** @return whether this is a request method (0.01–0.31) */
    public boolean isRequest() {
        return value > 0 && value < 32;
    }

    /** @return whether this is a response (classes 2–5) */
    public boolean isResponse() {
        int c = codeClass();
        return c >= 2 && c <= 5;
    }

    /** @return whether this is a signalling code (class 7, RFC 8323 §5), which only reliable transports carry */
    public boolean isSignal() {
        return codeClass() == 7;
    }

    /** @return whether this is a success response (class 2) */
    public boolean isSuccess() {
        return codeClass() == 2;
    }

    /** @return {@code c.dd} and the registered name, e.g. {@code 2.05 Content} */
    @Override
    public String toString() {
        String text = codeClass() + "." + (detail() < 10 ? "0" : "") + detail();
        String name = NAMES.get(value);
        return name == null ? text : text + " " + name;
    }
}
