package io.sluice.codec.coap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The registered option numbers and their definitions (RFC 7252 §5.10 and §12.2, RFC 7641,
 * RFC 7959, RFC 7967, RFC 8613, RFC 8768, RFC 9175, RFC 9177), and an immutable, ordered option
 * set with typed accessors and a builder.
 *
 * <p>Options keep the order they were added in within one number and are sorted by number, as
 * the wire format requires. Values are copies; the set is immutable and thread-safe.
 */
public final class CoapOptions {

    /** If-Match, opaque 0–8, repeatable, critical. */
    public static final int IF_MATCH = 1;
    /** Uri-Host, string 1–255. */
    public static final int URI_HOST = 3;
    /** ETag, opaque 1–8, repeatable in requests. */
    public static final int ETAG = 4;
    /** If-None-Match, empty. */
    public static final int IF_NONE_MATCH = 5;
    /** Observe (RFC 7641), uint 0–3. */
    public static final int OBSERVE = 6;
    /** Uri-Port, uint 0–2. */
    public static final int URI_PORT = 7;
    /** Location-Path, string 0–255, repeatable. */
    public static final int LOCATION_PATH = 8;
    /** OSCORE (RFC 8613), opaque 0–255. */
    public static final int OSCORE = 9;
    /** Uri-Path, string 0–255, repeatable. */
    public static final int URI_PATH = 11;
    /** Content-Format, uint 0–2. */
    public static final int CONTENT_FORMAT = 12;
    /** Max-Age, uint 0–4. */
    public static final int MAX_AGE = 14;
    /** Uri-Query, string 0–255, repeatable. */
    public static final int URI_QUERY = 15;
    /** Hop-Limit (RFC 8768), uint 1. */
    public static final int HOP_LIMIT = 16;
    /** Accept, uint 0–2. */
    public static final int ACCEPT = 17;
    /** Q-Block1 (RFC 9177), uint 0–3. */
    public static final int Q_BLOCK1 = 19;
    /** Location-Query, string 0–255, repeatable. */
    public static final int LOCATION_QUERY = 20;
    /** Block2 (RFC 7959), uint 0–3. */
    public static final int BLOCK2 = 23;
    /** Block1 (RFC 7959), uint 0–3. */
    public static final int BLOCK1 = 27;
    /** Size2 (RFC 7959), uint 0–4. */
    public static final int SIZE2 = 28;
    /** Q-Block2 (RFC 9177), uint 0–3. */
    public static final int Q_BLOCK2 = 31;
    /** Proxy-Uri, string 1–1034. */
    public static final int PROXY_URI = 35;
    /** Proxy-Scheme, string 1–255. */
    public static final int PROXY_SCHEME = 39;
    /** Size1, uint 0–4. */
    public static final int SIZE1 = 60;
    /** Echo (RFC 9175), opaque 1–40. */
    public static final int ECHO = 252;
    /** No-Response (RFC 7967), uint 0–1. */
    public static final int NO_RESPONSE = 258;
    /** Request-Tag (RFC 9175), opaque 0–8, repeatable. */
    public static final int REQUEST_TAG = 292;

    private record Definition(String name, OptionFormat format, int min, int max, boolean repeatable) {
    }

    private static final Definition[] DEFINITIONS = new Definition[293];

    static {
        define(IF_MATCH, "If-Match", OptionFormat.OPAQUE, 0, 8, true);
        define(URI_HOST, "Uri-Host", OptionFormat.STRING, 1, 255, false);
        define(ETAG, "ETag", OptionFormat.OPAQUE, 1, 8, true);
        define(IF_NONE_MATCH, "If-None-Match", OptionFormat.EMPTY, 0, 0, false);
        define(OBSERVE, "Observe", OptionFormat.UINT, 0, 3, false);
        define(URI_PORT, "Uri-Port", OptionFormat.UINT, 0, 2, false);
        define(LOCATION_PATH, "Location-Path", OptionFormat.STRING, 0, 255, true);
        define(OSCORE, "OSCORE", OptionFormat.OPAQUE, 0, 255, false);
        define(URI_PATH, "Uri-Path", OptionFormat.STRING, 0, 255, true);
        define(CONTENT_FORMAT, "Content-Format", OptionFormat.UINT, 0, 2, false);
        define(MAX_AGE, "Max-Age", OptionFormat.UINT, 0, 4, false);
        define(URI_QUERY, "Uri-Query", OptionFormat.STRING, 0, 255, true);
        define(HOP_LIMIT, "Hop-Limit", OptionFormat.UINT, 1, 1, false);
        define(ACCEPT, "Accept", OptionFormat.UINT, 0, 2, false);
        define(Q_BLOCK1, "Q-Block1", OptionFormat.UINT, 0, 3, false);
        define(LOCATION_QUERY, "Location-Query", OptionFormat.STRING, 0, 255, true);
        define(BLOCK2, "Block2", OptionFormat.UINT, 0, 3, false);
        define(BLOCK1, "Block1", OptionFormat.UINT, 0, 3, false);
        define(SIZE2, "Size2", OptionFormat.UINT, 0, 4, false);
        define(Q_BLOCK2, "Q-Block2", OptionFormat.UINT, 0, 3, false);
        define(PROXY_URI, "Proxy-Uri", OptionFormat.STRING, 1, 1034, false);
        define(PROXY_SCHEME, "Proxy-Scheme", OptionFormat.STRING, 1, 255, false);
        define(SIZE1, "Size1", OptionFormat.UINT, 0, 4, false);
        define(ECHO, "Echo", OptionFormat.OPAQUE, 1, 40, false);
        define(NO_RESPONSE, "No-Response", OptionFormat.UINT, 0, 1, false);
        define(REQUEST_TAG, "Request-Tag", OptionFormat.OPAQUE, 0, 8, true);
    }

    private static void define(int number, String name, OptionFormat format, int min, int max, boolean repeatable) {
        DEFINITIONS[number] = new Definition(name, format, min, max, repeatable);
    }

    private static Definition definition(int number) {
        return number >= 0 && number < DEFINITIONS.length ? DEFINITIONS[number] : null;
    }

    /**
     * @param number an option number
     * @return whether the number is registered and known to this codec
     */
    public static boolean isKnown(int number) {
        return definition(number) != null;
    }

    /**
     * @param number an option number
     * @return whether a receiver that does not understand it must reject the message (odd numbers)
     */
    public static boolean isCritical(int number) {
        return (number & 1) != 0;
    }

    /**
     * @param number an option number
     * @return whether a proxy that does not understand it must not forward it (bit 1)
     */
    public static boolean isUnsafe(int number) {
        return (number & 2) != 0;
    }

    /**
     * @param number an option number
     * @return whether the option is not part of the cache key (RFC 7252 §5.4.6)
     */
    public static boolean isNoCacheKey(int number) {
        return (number & 0x1e) == 0x1c;
    }

    /**
     * @param number an option number
     * @return the registered name, or {@code Option-<n>} for an unknown one
     */
    public static String name(int number) {
        Definition d = definition(number);
        return d == null ? "Option-" + number : d.name;
    }

    /**
     * @param number an option number
     * @return the value format; {@link OptionFormat#OPAQUE} for unknown options
     */
    public static OptionFormat format(int number) {
        Definition d = definition(number);
        return d == null ? OptionFormat.OPAQUE : d.format;
    }

    /**
     * @param number an option number
     * @return whether the option may occur more than once; unknown options count as not
     */
    public static boolean isRepeatable(int number) {
        Definition d = definition(number);
        return d != null && d.repeatable;
    }

    /**
     * Whether a value length is within the option's definition (RFC 7252 §5.4.3: a length outside
     * it makes the option unrecognized). Unknown options accept any length.
     *
     * @param number an option number
     * @param length the value length
     * @return whether the length is allowed
     */
    public static boolean isLengthValid(int number, int length) {
        Definition d = definition(number);
        return d == null || (length >= d.min && length <= d.max);
    }

    /** One option: a number and its value bytes. */
    public record Option(int number, byte[] value) {

        /**
         * @param number the option number, 0–65535
         * @param value the value; kept as given, so do not change it afterwards
         */
        public Option {
            if (number < 0 || number > 0xFFFF) {
                throw new IllegalArgumentException("option number " + number + " is outside 0-65535");
            }
            if (value == null) {
                throw new NullPointerException("value");
            }
        }

        /** @return the value as an unsigned integer; an empty value is 0 */
        public long uintValue() {
            long v = 0;
            for (byte b : value) {
                v = (v << 8) | (b & 0xFF);
            }
            return v;
        }

        /** @return the value decoded as UTF-8 */
        public String stringValue() {
            return new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Option other && other.number == number && Arrays.equals(other.value, value);
        }

        @Override
        public int hashCode() {
            return 31 * number + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return switch (format(number)) {
                case UINT -> name(number) + ":" + uintValue();
                case STRING -> name(number) + ":\"" + stringValue() + "\"";
                case EMPTY -> name(number);
                case OPAQUE -> name(number) + ":0x" + hex(value);
            };
        }
    }

    private static final CoapOptions EMPTY = new CoapOptions(List.of());

    private final List<Option> options;

    private CoapOptions(List<Option> sorted) {
        this.options = sorted;
    }

    static CoapOptions ofSorted(List<Option> sorted) {
        return new CoapOptions(sorted);
    }

    /** @return the set with no options */
    public static CoapOptions empty() {
        return EMPTY;
    }

    /** @return a builder starting empty */
    public static Builder builder() {
        return new Builder(List.of());
    }

    /** @return a builder starting with these options */
    public Builder toBuilder() {
        return new Builder(options);
    }

    /** @return every option, sorted by number */
    public List<Option> all() {
        return options;
    }

    /** @return the number of options */
    public int size() {
        return options.size();
    }

    /**
     * @param number an option number
     * @return whether an option with that number is present
     */
    public boolean has(int number) {
        // Indexed, and stopping past the number (the list is sorted): these run for every message, and an
        // iterator per call was a sixth of the CoAP path's allocation.
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param number an option number
     * @return the first option with that number
     */
    public Optional<Option> first(int number) {
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /**
     * @param number an option number
     * @return every option with that number, in order
     */
    public List<Option> all(int number) {
        List<Option> found = new ArrayList<>(2);
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                found.add(o);
            }
        }
        return found;
    }

    /**
     * @param number a uint option number
     * @return its value if present
     */
    public OptionalLong uint(int number) {
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                return OptionalLong.of(o.uintValue());
            }
        }
        return OptionalLong.empty();
    }

    /** @return the Uri-Path segments joined by {@code /}, without a leading slash; empty for the root */
    public String uriPath() {
        return join(URI_PATH, "/");
    }

    /** @return the Uri-Query items joined by {@code &}; empty when none */
    public String uriQuery() {
        return join(URI_QUERY, "&");
    }

    /** @return the Location-Path segments joined by {@code /} */
    public String locationPath() {
        return join(LOCATION_PATH, "/");
    }

    /** @return the Uri-Path segments */
    public List<String> uriPathSegments() {
        return strings(URI_PATH);
    }

    /** @return the Uri-Query items */
    public List<String> uriQueries() {
        return strings(URI_QUERY);
    }

    /** @return the Content-Format, or -1 when absent */
    public int contentFormat() {
        return (int) uint(CONTENT_FORMAT).orElse(-1);
    }

    /** @return the Accept format, or -1 when absent */
    public int accept() {
        return (int) uint(ACCEPT).orElse(-1);
    }

    /** @return the Max-Age in seconds; 60 when absent (RFC 7252 §5.10.5) */
    public long maxAge() {
        return uint(MAX_AGE).orElse(60);
    }

    /** @return the Observe value, or -1 when absent */
    public long observe() {
        return uint(OBSERVE).orElse(-1);
    }

    /** @return the Block1 option, if present and well-formed */
    public Optional<BlockOption> block1() {
        return first(BLOCK1).map(o -> BlockOption.decode(o.value));
    }

    /** @return the Block2 option, if present and well-formed */
    public Optional<BlockOption> block2() {
        return first(BLOCK2).map(o -> BlockOption.decode(o.value));
    }

    /** @return Size1, or -1 when absent */
    public long size1() {
        return uint(SIZE1).orElse(-1);
    }

    /** @return Size2, or -1 when absent */
    public long size2() {
        return uint(SIZE2).orElse(-1);
    }

    /** @return the No-Response bit mask (RFC 7967), 0 when absent */
    public int noResponse() {
        return (int) uint(NO_RESPONSE).orElse(0);
    }

    /** @return the ETag values in order */
    public List<byte[]> etags() {
        List<byte[]> tags = null;
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > ETAG) {
                break;
            }
            if (o.number == ETAG) {
                if (tags == null) {
                    tags = new ArrayList<>(1);
                }
                tags.add(o.value.clone());
            }
        }
        return tags == null ? List.of() : tags;
    }

    private List<String> strings(int number) {
        List<String> values = new ArrayList<>();
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                values.add(o.stringValue());
            }
        }
        return values;
    }

    private String join(int number, String separator) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (int i = 0, n = options.size(); i < n; i++) {
            Option o = options.get(i);
            if (o.number > number) {
                break;
            }
            if (o.number == number) {
                if (!first) {
                    sb.append(separator);
                }
                sb.append(o.stringValue());
                first = false;
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CoapOptions other && other.options.equals(options);
    }

    @Override
    public int hashCode() {
        return options.hashCode();
    }

    @Override
    public String toString() {
        return options.toString();
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        }
        return sb.toString();
    }

    /**
     * @param value a non-negative integer
     * @return its minimal big-endian encoding (no bytes for 0)
     */
    public static byte[] uintBytes(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("a uint option value is non-negative, was " + value);
        }
        int n = 0;
        for (long v = value; v != 0; v >>>= 8) {
            n++;
        }
        byte[] bytes = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            bytes[i] = (byte) value;
            value >>>= 8;
        }
        return bytes;
    }

    /** Builds an option set. Not thread-safe; {@link #build()} returns an immutable set. */
    public static final class Builder {
        private final List<Option> options;

        private Builder(List<Option> start) {
            this.options = new ArrayList<>(start);
        }

        /**
         * Adds an option after any others of its number.
         *
         * @param number the number
         * @param value the value, copied
         * @return this builder
         */
        public Builder add(int number, byte[] value) {
            options.add(new Option(number, value.clone()));
            return this;
        }

        /**
         * @param number the number
         * @param value a non-negative integer
         * @return this builder
         */
        public Builder addUint(int number, long value) {
            options.add(new Option(number, uintBytes(value)));
            return this;
        }

        /**
         * @param number the number
         * @param value text, written as UTF-8
         * @return this builder
         */
        public Builder addString(int number, String value) {
            options.add(new Option(number, value.getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        /**
         * @param number the number
         * @return this builder without any option of that number
         */
        public Builder remove(int number) {
            options.removeIf(o -> o.number == number);
            return this;
        }

        /**
         * Replaces every option of that number with one uint option.
         *
         * @param number the number
         * @param value a non-negative integer
         * @return this builder
         */
        public Builder setUint(int number, long value) {
            return remove(number).addUint(number, value);
        }

        /**
         * Replaces every option of that number with one option.
         *
         * @param number the number
         * @param value the value, copied
         * @return this builder
         */
        public Builder set(int number, byte[] value) {
            return remove(number).add(number, value);
        }

        /**
         * Sets Uri-Path from a {@code /}-separated path; empty segments of a leading or trailing
         * slash are dropped (RFC 7252 §6.4).
         *
         * @param path for example {@code /sensors/temp}
         * @return this builder
         */
        public Builder uriPath(String path) {
            remove(URI_PATH);
            for (String segment : path.split("/")) {
                if (!segment.isEmpty()) {
                    addString(URI_PATH, segment);
                }
            }
            return this;
        }

        /**
         * Sets Uri-Query from {@code &}-separated items.
         *
         * @param query for example {@code a=1&b=2}; empty for none
         * @return this builder
         */
        public Builder uriQuery(String query) {
            remove(URI_QUERY);
            for (String item : query.split("&")) {
                if (!item.isEmpty()) {
                    addString(URI_QUERY, item);
                }
            }
            return this;
        }

        /**
         * @param format a Content-Format number
         * @return this builder
         */
        public Builder contentFormat(int format) {
            return setUint(CONTENT_FORMAT, format);
        }

        /**
         * @param value the Observe value: 0 registers, 1 deregisters, a sequence number in notifications
         * @return this builder
         */
        public Builder observe(long value) {
            return setUint(OBSERVE, value);
        }

        /**
         * @param block the Block1 option
         * @return this builder
         */
        public Builder block1(BlockOption block) {
            return set(BLOCK1, block.encode());
        }

        /**
         * @param block the Block2 option
         * @return this builder
         */
        public Builder block2(BlockOption block) {
            return set(BLOCK2, block.encode());
        }

        /** @return the immutable, sorted option set */
        public CoapOptions build() {
            if (options.isEmpty()) {
                return EMPTY;
            }
            List<Option> sorted = new ArrayList<>(options);
            sorted.sort((a, b) -> Integer.compare(a.number, b.number)); // stable: keeps order within a number
            return new CoapOptions(Collections.unmodifiableList(sorted));
        }
    }
}
