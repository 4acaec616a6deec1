/**
 * Classifying datagrams that share one UDP port (STUN, ZRTP, DTLS, TURN channels, QUIC, RTP and
 * RTCP) by their first byte, as RFC 7983 specifies and RFC 9443 updates. Pure functions of the
 * bytes; no I/O, no allocation. Thread-safe.
 */
package io.sluice.codec.demux;
