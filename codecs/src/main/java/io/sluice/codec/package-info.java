/**
 * The codec contract: how a wire format turns bytes into messages and back.
 *
 * <p>A {@link io.sluice.codec.MessageCodec} decodes one whole message from a {@code ByteBuf} and
 * encodes a message into one. Decoders always work within {@link io.sluice.codec.Limits} and fail
 * with a {@link io.sluice.codec.CodecException} that names the byte offset and the reason. A
 * {@link io.sluice.codec.Framing} finds message boundaries in a byte stream.
 *
 * <h2>Buffer ownership</h2>
 * Whoever calls {@code decode} owns the input buffer before and after the call and releases it; a
 * codec never releases its input. A decoded message that needs bytes of the input beyond the call
 * takes its own reference ({@code readRetainedSlice}) and is then itself
 * {@link io.netty.util.ReferenceCounted}: whoever consumes that message releases it. An encoder
 * writes into a buffer its caller owns and keeps no reference to it, nor to any buffer inside the
 * message.
 *
 * <p>This package does no I/O and holds no protocol. Stream operators that apply codecs to
 * {@code Flux}es live in {@link io.sluice.codec.stream}.
 */
package io.sluice.codec;
