package io.sluice.dtls.session;

import java.util.Arrays;
import java.util.Objects;

/**
 * Keying material to export when a handshake completes (RFC 5705). BouncyCastle erases the master
 * secret once the handshake is done, so exports are declared on the spec and computed at that
 * moment; {@link DtlsSession#exportKeyingMaterial} then returns them.
 *
 * @param label the exporter label, e.g. {@code EXTRACTOR-dtls_srtp} (RFC 5764)
 * @param context the context, or null for none
 * @param length bytes wanted
 */
public record KeyingExport(String label, byte[] context, int length) {

    /**
     * Validates the export.
     *
     * @param label the exporter label, e.g. {@code EXTRACTOR-dtls_srtp} (RFC 5764)
     * @param context the context, or null for none
     * @param length bytes wanted
     */
    public KeyingExport {
        Objects.requireNonNull(label, "label");
        if (length < 1) {
            throw new IllegalArgumentException("length must be positive, got " + length);
        }
        context = context == null ? null : context.clone();
    }

    boolean matches(String otherLabel, byte[] otherContext, int otherLength) {
        return label.equals(otherLabel) && length == otherLength && Arrays.equals(context, otherContext);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyingExport k && k.matches(label, context, length);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, Arrays.hashCode(context), length);
    }

    @Override
    public String toString() {
        return "KeyingExport[" + label + ", " + length + " bytes" + (context != null ? ", with context" : "") + "]";
    }
}
