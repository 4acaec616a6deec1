package io.sluice.codec.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapReliableCodec;
import io.sluice.codec.coap.CoreLink;
import io.sluice.codec.coap.CoreLinkFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzz targets for the wire formats (CoAP, CoRE Link Format, ICE, call frames): each takes bytes as the network would deliver them and
 * checks what a decoder promises, not only that it does not crash: it returns a value or throws
 * {@link CodecException} (anything else is a finding), and what it returns re-encodes to bytes
 * that decode to an equal value. Run by {@link CodecFuzzTest} (the committed corpus, in
 * {@code mvn verify}) and by {@link FuzzRun} (coverage-guided, for a count of executions).
 */
public final class WireFuzzTargets {

    private static final Limits LIMITS = Limits.defaults();

    private WireFuzzTargets() {
    }

    /** A UDP datagram (RFC 7252 §3). */
    public static void coapUdp(byte[] data) {
        roundTrip(Unpooled.wrappedBuffer(data), CoapMessageCodec.INSTANCE::decode, CoapMessageCodec.INSTANCE::encode);
    }

    /** One frame of CoAP over TCP (RFC 8323 §3.2), length header included. */
    public static void coapTcp(byte[] data) {
        roundTrip(Unpooled.wrappedBuffer(data), CoapReliableCodec.TCP::decode, CoapReliableCodec.TCP::encode);
    }

    /** One WebSocket message of CoAP (RFC 8323 §4.2). */
    public static void coapWebSocket(byte[] data) {
        roundTrip(Unpooled.wrappedBuffer(data), CoapReliableCodec.WEBSOCKET::decode, CoapReliableCodec.WEBSOCKET::encode);
    }

    /** A CoRE Link Format document (RFC 6690 §2): what parses writes back to a document that parses equal. */
    public static void coreLinkFormat(byte[] data) {
        String document = new String(data, StandardCharsets.UTF_8);
        List<CoreLink> links;
        try {
            links = CoreLinkFormat.read(document, LIMITS);
        } catch (CodecException e) {
            return;
        }
        List<CoreLink> again = CoreLinkFormat.read(CoreLinkFormat.write(links), LIMITS);
        if (!again.equals(links)) {
            throw new AssertionError("link format did not survive a round trip: " + links + " became " + again);
        }
    }

    /** An ICE message frame (X11 ICE, header and body), in the byte order its first input byte picks. */
    public static void iceFrame(byte[] data) {
        if (data.length == 0) {
            return;
        }
        java.nio.ByteOrder order = (data[0] & 1) == 0 ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN;
        roundTrip(Unpooled.wrappedBuffer(data, 1, data.length - 1), (in, limits) -> io.sluice.codec.ice.IceMessageCodec.decode(in, order, limits),
                (message, out) -> io.sluice.codec.ice.IceMessageCodec.encode(message, order, out));
    }

    /** A Sluice call frame (the peer protocol's wire format). */
    public static void callFrame(byte[] data) {
        roundTrip(Unpooled.wrappedBuffer(data), io.sluice.codec.call.CallFrameCodec.INSTANCE::decode,
                io.sluice.codec.call.CallFrameCodec.INSTANCE::encode);
    }

    /**
     * A byte stream as TCP might deliver it (the first input byte sets the chunk size) cut into
     * frames by a 2-byte length prefix: the frames, end to end, are a prefix of the stream, and the
     * stream ends in frames or a {@link CodecException}, with every buffer released.
     */
    public static void streamFramer(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int chunk = 1 + (data[0] & 0x3F);
        java.util.List<ByteBuf> chunks = new java.util.ArrayList<>();
        for (int at = 1; at < data.length; at += chunk) {
            chunks.add(Unpooled.wrappedBuffer(data, at, Math.min(chunk, data.length - at)));
        }
        java.io.ByteArrayOutputStream framed = new java.io.ByteArrayOutputStream();
        try {
            reactor.core.publisher.Flux.fromIterable(chunks)
                    .transform(io.sluice.codec.stream.StreamFramer.of(io.sluice.codec.LengthFieldFraming.prefix(2), LIMITS))
                    .doOnNext(frame -> {
                        try {
                            byte[] bytes = new byte[frame.readableBytes()];
                            frame.readBytes(bytes);
                            framed.writeBytes(bytes);
                        } finally {
                            frame.release();
                        }
                    })
                    .blockLast();
        } catch (CodecException e) {
            // a malformed or truncated stream: the framer says so
        }
        byte[] out = framed.toByteArray();
        byte[] prefix = java.util.Arrays.copyOfRange(data, 1, 1 + Math.min(out.length, data.length - 1));
        if (out.length > data.length - 1 || !java.util.Arrays.equals(out, prefix)) {
            throw new AssertionError("the frames are not the stream's own bytes");
        }
    }

    interface Decoder<T> {
        T decode(ByteBuf in, Limits limits);
    }

    interface Encoder<T> {
        void encode(T message, ByteBuf out);
    }

    /** Decodes {@code in} (released here); what decodes must re-encode to bytes that decode equal. Values that hold buffers are released. */
    private static <T> void roundTrip(ByteBuf in, Decoder<T> decoder, Encoder<T> encoder) {
        T message;
        try {
            message = decoder.decode(in, LIMITS);
        } catch (CodecException e) {
            return;
        } finally {
            in.release();
        }
        ByteBuf out = Unpooled.buffer();
        T again = null;
        try {
            encoder.encode(message, out);
            again = decoder.decode(out, LIMITS);
            if (!again.equals(message)) {
                throw new AssertionError("decoded " + message + " re-encoded and decoded as " + again);
            }
        } finally {
            io.netty.util.ReferenceCountUtil.release(message);
            io.netty.util.ReferenceCountUtil.release(again);
            out.release();
        }
    }
}
