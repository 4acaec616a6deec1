/**
 * The CoAP message format of RFC 7252 §3, with the options of RFC 7252 §5.10, RFC 7641
 * (Observe), RFC 7959 (Block1, Block2, Size1, Size2), RFC 7967 (No-Response) and the other
 * registered options.
 *
 * <p>{@link io.sluice.codec.coap.CoapMessage} is an immutable value holding its token, options and
 * payload as copies, so it owns no {@code ByteBuf} and needs no release.
 * {@link io.sluice.codec.coap.CoapMessageCodec} turns datagrams into messages within
 * {@link io.sluice.codec.Limits} and back; {@link io.sluice.codec.coap.CoapReliableCodec} does the
 * same for RFC 8323's framing over TCP, TLS and WebSockets (no type, no message ID), with
 * {@link io.sluice.codec.coap.CoapReliableCodec#TCP_FRAMING} to cut a byte stream, and
 * {@link io.sluice.codec.coap.CoapSignals} builds and reads the 7.xx signalling messages. What to do with an unknown critical option, a bad
 * option length or a message that fails to decode is the message layer's business
 * ({@code io.sluice.coap} in the sdk); nothing here does I/O.
 */
package io.sluice.codec.coap;
