package io.sluice.samples.xsmp;

import io.sluice.codec.CodecException;
import io.sluice.codec.ice.IceVersion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * XSMP's wire facts: the minor opcodes of SM.h, the save-type and interact-style values, and the
 * ARRAY8 / LISTofARRAY8 encodings (a CARD32 length, the bytes, padding to a multiple of 8; a
 * list is a CARD32 count and 4 unused bytes before its items). Numbers are written in the sender's
 * byte order, so a reader decodes them in the peer's. A malformed or oversized body is a
 * {@code CodecException}. Stateless; thread-safe.
 */
public final class Xsmp {

    /** The protocol name ICE sets up. */
    public static final String PROTOCOL_NAME = "XSMP";
    /** XSMP 1.0, the only version there is. */
    public static final IceVersion VERSION = new IceVersion(1, 0);

    static final int REGISTER_CLIENT = 1;
    static final int REGISTER_CLIENT_REPLY = 2;
    static final int SAVE_YOURSELF = 3;
    static final int SAVE_YOURSELF_REQUEST = 4;
    static final int INTERACT_REQUEST = 5;
    static final int INTERACT = 6;
    static final int INTERACT_DONE = 7;
    static final int SAVE_YOURSELF_DONE = 8;
    static final int DIE = 9;
    static final int SHUTDOWN_CANCELLED = 10;
    static final int CLOSE_CONNECTION = 11;
    static final int SET_PROPERTIES = 12;
    static final int DELETE_PROPERTIES = 13;
    static final int GET_PROPERTIES = 14;
    static final int PROPERTIES_REPLY = 15;
    static final int SAVE_YOURSELF_PHASE2_REQUEST = 16;
    static final int SAVE_YOURSELF_PHASE2 = 17;
    static final int SAVE_COMPLETE = 18;

    static final int SAVE_GLOBAL = 0;
    static final int SAVE_LOCAL = 1;
    static final int SAVE_BOTH = 2;
    static final int INTERACT_NONE = 0;
    static final int INTERACT_ERRORS = 1;
    static final int INTERACT_ANY = 2;
    static final int DIALOG_ERROR = 0;

    /** The most bytes one ARRAY8 may claim here: client IDs and reasons are short. */
    static final int MAX_ARRAY8 = 4096;
    /** The most items of one LISTofARRAY8. */
    static final int MAX_ITEMS = 64;

    private Xsmp() {
    }

    static byte[] array8(String value, ByteOrder order) {
        byte[] data = value.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(padded(data.length)).order(order);
        out.putInt(data.length).put(data);
        return out.array();
    }

    static byte[] listOfArray8(List<String> values, ByteOrder order) {
        List<byte[]> items = values.stream().map(v -> array8(v, order)).toList();
        ByteBuffer out = ByteBuffer.allocate(8 + items.stream().mapToInt(i -> i.length).sum()).order(order);
        out.putInt(values.size()).putInt(0);
        items.forEach(out::put);
        return out.array();
    }

    static String readArray8(ByteBuffer in) {
        if (in.remaining() < 4) {
            throw CodecException.truncated(in.position(), "an ARRAY8 needs 4 bytes of length, " + in.remaining() + " left");
        }
        int start = in.position();
        long n = Integer.toUnsignedLong(in.getInt());
        if (n > MAX_ARRAY8 || padded((int) n) - 4 > in.remaining()) {
            throw n > MAX_ARRAY8 ? CodecException.limitExceeded(start, "an ARRAY8 of " + n + " bytes is more than " + MAX_ARRAY8)
                    : CodecException.truncated(start, "an ARRAY8 of " + n + " bytes does not fit in " + in.remaining());
        }
        byte[] data = new byte[(int) n];
        in.get(data);
        in.position(start + padded((int) n));
        return new String(data, StandardCharsets.ISO_8859_1);
    }

    static List<String> readListOfArray8(ByteBuffer in) {
        return readList(in, "LISTofARRAY8", "items", MAX_ITEMS, Xsmp::readArray8);
    }

    /** A LISTof anything: CARD32 count, 4 unused, then the items, at most {@code max} of them. */
    private static <T> List<T> readList(ByteBuffer in, String type, String items, int max, java.util.function.Function<ByteBuffer, T> item) {
        if (in.remaining() < 8) {
            throw CodecException.truncated(in.position(), "a " + type + " needs 8 bytes of header");
        }
        long count = Integer.toUnsignedLong(in.getInt());
        in.getInt();
        if (count > max) {
            throw CodecException.limitExceeded(in.position() - 8, "a " + type + " of " + count + " " + items + " is more than " + max);
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(item.apply(in));
        }
        return out;
    }

    static ByteBuffer body(byte[] body, ByteOrder order) {
        return ByteBuffer.wrap(body).order(order);
    }

    /** The most properties one client may hold, and one message may carry. */
    static final int MAX_PROPERTIES = 256;

    /** A LISTofPROPERTY: CARD32 count, 4 unused, each PROPERTY as ARRAY8 name, ARRAY8 type, LISTofARRAY8 values. */
    static byte[] listOfProperty(java.util.Collection<XsmpProperty> properties, ByteOrder order) {
        List<byte[]> parts = new ArrayList<>();
        for (XsmpProperty p : properties) {
            parts.add(array8(p.name(), order));
            parts.add(array8(p.type(), order));
            parts.add(listOfArray8(p.values(), order));
        }
        ByteBuffer out = ByteBuffer.allocate(8 + parts.stream().mapToInt(b -> b.length).sum()).order(order);
        out.putInt(properties.size()).putInt(0);
        parts.forEach(out::put);
        return out.array();
    }

    static List<XsmpProperty> readListOfProperty(ByteBuffer in) {
        return readList(in, "LISTofPROPERTY", "properties", MAX_PROPERTIES,
                b -> new XsmpProperty(readArray8(b), readArray8(b), readListOfArray8(b)));
    }

    /** A SaveYourself body: save type, shutdown, interact style, fast, 4 unused. */
    static byte[] saveYourself(int saveType, boolean shutdown, int interactStyle, boolean fast) {
        return new byte[] {(byte) saveType, (byte) (shutdown ? 1 : 0), (byte) interactStyle, (byte) (fast ? 1 : 0), 0, 0, 0, 0};
    }

    private static int padded(int n) {
        return (4 + n + 7) & ~7;
    }
}
