package io.sluice.samples.xsmp;

import io.sluice.codec.CodecException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The fuzz target for XSMP message bodies. Run by {@code io.sluice.samples.fuzz.SamplesFuzzTest}
 * (committed inputs) and {@code io.sluice.codec.fuzz.FuzzRun}.
 */
public final class XsmpFuzzTargets {

    private XsmpFuzzTargets() {
    }

    /**
     * An XSMP body as a session manager reads it: the first input byte picks the byte order (bit 0)
     * and the body's type (ARRAY8, LISTofARRAY8, LISTofPROPERTY: what RegisterClient,
     * DeleteProperties/CloseConnection and SetProperties carry). It reads or is refused with a
     * {@link CodecException}, and what reads writes back, in the same order, to bytes that read equal.
     */
    public static void xsmp(byte[] data) {
        if (data.length == 0) {
            return;
        }
        ByteOrder order = (data[0] & 1) == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        switch ((data[0] >> 1 & 0xFF) % 3) {
            case 0 -> {
                String value;
                try {
                    value = Xsmp.readArray8(Xsmp.body(body, order));
                } catch (CodecException e) {
                    return;
                }
                same(value, Xsmp.readArray8(Xsmp.body(Xsmp.array8(value, order), order)));
            }
            case 1 -> {
                List<String> values;
                try {
                    values = Xsmp.readListOfArray8(Xsmp.body(body, order));
                } catch (CodecException e) {
                    return;
                }
                same(values, Xsmp.readListOfArray8(Xsmp.body(Xsmp.listOfArray8(values, order), order)));
            }
            default -> {
                List<XsmpProperty> properties;
                try {
                    properties = Xsmp.readListOfProperty(Xsmp.body(body, order));
                } catch (CodecException e) {
                    return;
                }
                ByteBuffer again = Xsmp.body(Xsmp.listOfProperty(properties, order), order);
                same(properties, Xsmp.readListOfProperty(again));
            }
        }
    }

    private static void same(Object read, Object again) {
        if (!read.equals(again)) {
            throw new AssertionError("an XSMP body read " + read + " but its re-encoding read " + again);
        }
    }
}
