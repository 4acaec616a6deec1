/**
 * Wiretap: the messages a live object decodes and encodes, logged through SLF4J.
 *
 * <p>A spec's {@code wiretap(true)} logs one line per message at DEBUG under the protocol's
 * category ({@code io.sluice.wiretap.coap}, {@code .dtls}, {@code .peer}, {@code .ice},
 * {@code .messaging}, {@code .packet}); {@code wiretap(category, level)} picks both. With the
 * category's logger at TRACE each line is followed by a hex dump of the message's bytes. Off by
 * default; when off, a call site costs one final-field read and builds nothing.
 */
package io.sluice.wiretap;
