/**
 * The Inter-Client Exchange (ICE) wire format of the X Consortium's ICE protocol 1.0, as libICE
 * speaks it: every message of the ICE protocol itself (major opcode 0) and the generic header of
 * other protocols' messages, in either byte order.
 *
 * <p>Every message starts with an 8-byte header (major opcode, minor opcode, two data bytes, a
 * CARD32 count of the 8-byte units that follow) and is padded to a multiple of 8 bytes. STRINGs are
 * a CARD16 length, the bytes and padding to a multiple of 4; VERSIONs are two CARD16s. Each side
 * writes in its own byte order, announced by its ByteOrder message, and the receiver swaps:
 * {@link io.sluice.codec.ice.IceMessageCodec} decodes in the order it is given and encodes in the
 * order it is given.
 *
 * <p>Messages are immutable values holding copies of their bytes; nothing here owns a
 * {@code ByteBuf}. No I/O.
 */
package io.sluice.codec.ice;
