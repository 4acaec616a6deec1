package io.sluice.codec.coap;

/** How an option's value is written (RFC 7252 §3.2). */
public enum OptionFormat {
    /** A zero-length value. */
    EMPTY,
    /** An opaque byte sequence. */
    OPAQUE,
    /** A non-negative integer in network byte order, in as few bytes as possible (0 is no bytes). */
    UINT,
    /** UTF-8 text in Net-Unicode form. */
    STRING
}
