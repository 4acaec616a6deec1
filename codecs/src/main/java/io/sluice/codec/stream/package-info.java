/**
 * Operators that lift a {@link io.sluice.codec.MessageCodec} onto Reactor streams, for use with
 * {@code Flux.transform}:
 * <ul>
 *   <li>{@link io.sluice.codec.stream.DatagramDecoder}: one datagram is one message; a bad
 *       datagram is dropped and counted, never fatal to the stream.</li>
 *   <li>{@link io.sluice.codec.stream.StreamFramer}: byte chunks of a stream become whole frames,
 *       with at most one frame's worth of bytes held back; an oversized or malformed frame ends the
 *       stream with a {@link io.sluice.codec.CodecException}.</li>
 *   <li>{@link io.sluice.codec.stream.StreamDecoder}: framing and decoding in one.</li>
 * </ul>
 *
 * <h2>Threading and ownership</h2>
 * The operators add no thread hops and no unbounded queues: signals arrive on whatever thread the
 * source uses and demand passes upstream. Each operator takes ownership of every input buffer it
 * receives and releases it (or hands a retained slice of it downstream). Elements it emits are owned
 * by the subscriber; elements Reactor discards on cancellation are released through the discard
 * hook.
 */
package io.sluice.codec.stream;
