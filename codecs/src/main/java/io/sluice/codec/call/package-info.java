/**
 * Sluice's call protocol: the frames two peers exchange to make requests, stream responses with
 * demand, cancel, fail, keep alive and say goodbye. {@code PROTOCOL.md} in this directory is the
 * specification, written so that another language could implement it; {@link
 * io.sluice.codec.call.CallFrameCodec} is the Java implementation.
 *
 * <p>Payload-carrying frames ({@link io.sluice.codec.call.CallFrame.Request},
 * {@link io.sluice.codec.call.CallFrame.Response}, {@link io.sluice.codec.call.CallFrame.Next})
 * are {@link io.netty.util.ReferenceCounted}: the decoder gives them a retained slice of the input,
 * and whoever consumes a frame releases it. Encoding never takes ownership of a frame's payload.
 * Nothing here does I/O.
 */
package io.sluice.codec.call;
