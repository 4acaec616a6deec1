package io.sluice.codec.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.sluice.codec.CodecException;
import io.sluice.codec.Fields;
import io.sluice.codec.LengthFieldFraming;
import io.sluice.codec.Limits;
import io.sluice.codec.call.CallFrameCodec;
import io.sluice.codec.coap.CoapMessageCodec;
import io.sluice.codec.coap.CoapReliableCodec;
import io.sluice.codec.coap.CoreLink;
import io.sluice.codec.coap.CoreLinkFormat;
import io.sluice.codec.demux.PacketClass;
import io.sluice.codec.demux.PacketClassifier;
import io.sluice.codec.ice.IceMessageCodec;
import io.sluice.codec.stream.StreamFramer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * Fuzz targets for the wire formats (CoAP, CoRE Link Format, ICE, call frames, {@code Fields}
 * records, the RFC 7983/9443 packet classifier): each takes bytes as the network would deliver them and
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
        ByteOrder order = (data[0] & 1) == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        roundTrip(Unpooled.wrappedBuffer(data, 1, data.length - 1), (in, limits) -> IceMessageCodec.decode(in, order, limits),
                (message, out) -> IceMessageCodec.encode(message, order, out));
    }

    /** A Sluice call frame (the peer protocol's wire format). */
    public static void callFrame(byte[] data) {
        roundTrip(Unpooled.wrappedBuffer(data), CallFrameCodec.INSTANCE::decode,
                CallFrameCodec.INSTANCE::encode);
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
        List<ByteBuf> chunks = new ArrayList<>();
        for (int at = 1; at < data.length; at += chunk) {
            chunks.add(Unpooled.wrappedBuffer(data, at, Math.min(chunk, data.length - at)));
        }
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        try {
            Flux.fromIterable(chunks)
                    .transform(StreamFramer.of(LengthFieldFraming.prefix(2), LIMITS))
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
        byte[] prefix = Arrays.copyOfRange(data, 1, 1 + Math.min(out.length, data.length - 1));
        if (out.length > data.length - 1 || !Arrays.equals(out, prefix)) {
            throw new AssertionError("the frames are not the stream's own bytes");
        }
    }

    /** The field kinds {@link #fields} reads, picked by input bytes. */
    private static final int KINDS = 7;

    /**
     * A {@link Fields} record whose layout the input picks: the first byte gives the
     * field count (1–4), the next bytes each field's kind (int32, int64, bool, string, bytes, list of
     * strings, list of int32); the rest is the record. What reads re-writes with the matching
     * writers to bytes that read equal, and a record is refused when bytes are left over.
     */
    public static void fields(byte[] data) {
        if (data.length < 2) {
            return;
        }
        int count = 1 + (data[0] & 3);
        if (data.length < 1 + count) {
            return;
        }
        int[] kinds = new int[count];
        for (int i = 0; i < count; i++) {
            kinds[i] = (data[1 + i] & 0xFF) % KINDS;
        }
        Decoder<List<Object>> decoder = (in, limits) -> {
            Fields.Reader reader = Fields.reader(in, limits);
            List<Object> values = new ArrayList<>();
            for (int kind : kinds) {
                values.add(switch (kind) {
                    case 0 -> reader.int32("int32");
                    case 1 -> reader.int64("int64");
                    case 2 -> reader.bool("bool");
                    case 3 -> reader.string("string");
                    // As a list, so that equality compares the contents.
                    case 4 -> toList(reader.bytes("bytes"));
                    case 5 -> reader.list("strings", r -> r.string("string"));
                    default -> reader.list("ints", r -> r.int32("int"));
                });
            }
            reader.end();
            return values;
        };
        Encoder<List<Object>> encoder = (values, out) -> {
            for (int i = 0; i < kinds.length; i++) {
                Object v = values.get(i);
                switch (kinds[i]) {
                    case 0 -> Fields.writeInt32(out, (Integer) v);
                    case 1 -> Fields.writeInt64(out, (Long) v);
                    case 2 -> Fields.writeBool(out, (Boolean) v);
                    case 3 -> Fields.writeString(out, (String) v);
                    case 4 -> Fields.writeBytes(out, toArray(v));
                    case 5 -> Fields.writeList(out, strings(v), Fields::writeString);
                    default -> Fields.writeList(out, ints(v), Fields::writeInt32);
                }
            }
        };
        roundTrip(Unpooled.wrappedBuffer(data, 1 + count, data.length - 1 - count), decoder, encoder);
    }

    private static List<Byte> toList(byte[] bytes) {
        List<Byte> list = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            list.add(b);
        }
        return list;
    }

    private static byte[] toArray(Object list) {
        List<?> bytes = (List<?>) list;
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Byte) bytes.get(i);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list) {
        return (List<String>) list;
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> ints(Object list) {
        return (List<Integer>) list;
    }

    /**
     * A datagram on a multiplexed port: the classifier never throws, reads nothing, and agrees with
     * the table of RFC 9443 §3 (first byte 0–3 STUN, 16–19 ZRTP, 20–63 DTLS, 64–79 TURN channel when
     * enabled, 128–191 RTP or RTCP by the second byte's 192–223 payload types, the rest QUIC or
     * unknown), computed here independently.
     */
    public static void packetClassifier(byte[] data) {
        boolean turn = data.length > 0 && (data[0] & 1) == 1;
        PacketClassifier classifier = turn ? PacketClassifier.rfc9443()
                : PacketClassifier.withoutTurnChannels();
        ByteBuf datagram = Unpooled.wrappedBuffer(data, Math.min(1, data.length), Math.max(0, data.length - 1));
        int before = datagram.readerIndex();
        PacketClass got = classifier.classify(datagram);
        if (datagram.readerIndex() != before) {
            throw new AssertionError("the classifier consumed bytes");
        }
        PacketClass expected;
        if (data.length < 2) {
            expected = PacketClass.UNKNOWN;
        } else {
            int b = data[1] & 0xFF;
            int second = data.length > 2 ? data[2] & 0xFF : -1;
            if (b < 4) {
                expected = PacketClass.STUN;
            } else if (b < 16) {
                expected = PacketClass.UNKNOWN;
            } else if (b < 20) {
                expected = PacketClass.ZRTP;
            } else if (b < 64) {
                expected = PacketClass.DTLS;
            } else if (b < 80 && turn) {
                expected = PacketClass.TURN_CHANNEL;
            } else if (b >= 128 && b < 192) {
                expected = second >= 192 && second < 224 ? PacketClass.RTCP : PacketClass.RTP;
            } else {
                expected = PacketClass.QUIC;
            }
        }
        if (got != expected) {
            throw new AssertionError("classified " + got + ", RFC 9443 says " + expected);
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
            ReferenceCountUtil.release(message);
            ReferenceCountUtil.release(again);
            out.release();
        }
    }
}
