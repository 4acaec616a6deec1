package io.sluice.samples.xsmp;

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
 * byte order, so a reader decodes them in the peer's. Stateless; thread-safe.
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
            throw new IllegalArgumentException("an ARRAY8 needs 4 bytes of length, " + in.remaining() + " left");
        }
        int start = in.position();
        long n = Integer.toUnsignedLong(in.getInt());
        if (n > MAX_ARRAY8 || padded((int) n) - 4 > in.remaining()) {
            throw new IllegalArgumentException("an ARRAY8 of " + n + " bytes does not fit in " + in.remaining());
        }
        byte[] data = new byte[(int) n];
        in.get(data);
        in.position(start + padded((int) n));
        return new String(data, StandardCharsets.ISO_8859_1);
    }

    static List<String> readListOfArray8(ByteBuffer in) {
        if (in.remaining() < 8) {
            throw new IllegalArgumentException("a LISTofARRAY8 needs 8 bytes of header");
        }
        long count = Integer.toUnsignedLong(in.getInt());
        in.getInt();
        if (count > MAX_ITEMS) {
            throw new IllegalArgumentException("a LISTofARRAY8 of " + count + " items is more than " + MAX_ITEMS);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(readArray8(in));
        }
        return out;
    }

    static ByteBuffer body(byte[] body, ByteOrder order) {
        return ByteBuffer.wrap(body).order(order);
    }

    /** The most properties one client may hold, and one message may carry. */
    static final int MAX_PROPERTIES = 256;

    /** A PROPERTY: ARRAY8 name, ARRAY8 type, LISTofARRAY8 values. */
    static void writeProperty(XsmpProperty property, ByteBuffer out) {
        out.put(array8(property.name(), out.order())).put(array8(property.type(), out.order()))
                .put(listOfArray8(property.values(), out.order()));
    }

    /** A LISTofPROPERTY: CARD32 count, 4 unused, the properties. */
    static byte[] listOfProperty(java.util.Collection<XsmpProperty> properties, ByteOrder order) {
        int size = 8;
        for (XsmpProperty p : properties) {
            size += array8(p.name(), order).length + array8(p.type(), order).length + listOfArray8(p.values(), order).length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).order(order);
        out.putInt(properties.size()).putInt(0);
        properties.forEach(p -> writeProperty(p, out));
        return out.array();
    }

    static List<XsmpProperty> readListOfProperty(ByteBuffer in) {
        if (in.remaining() < 8) {
            throw new IllegalArgumentException("a LISTofPROPERTY needs 8 bytes of header");
        }
        long count = Integer.toUnsignedLong(in.getInt());
        in.getInt();
        if (count > MAX_PROPERTIES) {
            throw new IllegalArgumentException("a LISTofPROPERTY of " + count + " properties is more than " + MAX_PROPERTIES);
        }
        List<XsmpProperty> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new XsmpProperty(readArray8(in), readArray8(in), readListOfArray8(in)));
        }
        return out;
    }

    /** A SaveYourself body: save type, shutdown, interact style, fast, 4 unused. */
    static byte[] saveYourself(int saveType, boolean shutdown, int interactStyle, boolean fast) {
        return new byte[] {(byte) saveType, (byte) (shutdown ? 1 : 0), (byte) interactStyle, (byte) (fast ? 1 : 0), 0, 0, 0, 0};
    }

    private static int padded(int n) {
        return (4 + n + 7) & ~7;
    }
}
