package io.sluice.dtls.session;

/** Whether a DTLS server asks clients for a certificate. */
public enum ClientAuth {
    /** No certificate is asked for. */
    NONE,
    /** A certificate is asked for; a client without one is let in, one with an untrusted one is not. */
    OPTIONAL,
    /** A trusted certificate is required. */
    REQUIRED
}
