package io.sluice.coap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a server says about one of its resources in {@code /.well-known/core} (RFC 6690 §3):
 * resource type ({@code rt}), interface description ({@code if}), content format ({@code ct}),
 * maximum size estimate ({@code sz}), a title, and any other link attribute. {@code obs} is added
 * by the server for observable routes.
 *
 * <p>Immutable: every method returns a new value.
 */
public final class ResourceAttributes {

    private static final ResourceAttributes NONE = new ResourceAttributes(Map.of());

    private final Map<String, List<String>> attributes;

    private ResourceAttributes(Map<String, List<String>> attributes) {
        this.attributes = attributes;
    }

    /** @return no attributes */
    public static ResourceAttributes create() {
        return NONE;
    }

    /**
     * @param type an {@code rt} value, such as {@code temperature-c}
     * @return a copy with it
     */
    public ResourceAttributes resourceType(String type) {
        return with("rt", type);
    }

    /**
     * @param description an {@code if} value, such as {@code sensor}
     * @return a copy with it
     */
    public ResourceAttributes interfaceDescription(String description) {
        return with("if", description);
    }

    /**
     * @param format a Content-Format number, such as 0 for text/plain
     * @return a copy with it
     */
    public ResourceAttributes contentFormat(int format) {
        return with("ct", Integer.toString(format));
    }

    /**
     * @param bytes an estimate of the representation's size
     * @return a copy with it
     */
    public ResourceAttributes size(long bytes) {
        return with("sz", Long.toString(bytes));
    }

    /**
     * @param title a title for people
     * @return a copy with it
     */
    public ResourceAttributes title(String title) {
        return with("title", title);
    }

    /**
     * @param name any link attribute name
     * @param value its value ("" for one written without a value)
     * @return a copy with it added after any other of the name
     */
    public ResourceAttributes with(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Map<String, List<String>> copy = new LinkedHashMap<>(attributes);
        List<String> values = new ArrayList<>(copy.getOrDefault(name, List.of()));
        values.add(value);
        copy.put(name, List.copyOf(values));
        return new ResourceAttributes(java.util.Collections.unmodifiableMap(copy));
    }

    Map<String, List<String>> asMap() {
        return attributes;
    }

    @Override
    public String toString() {
        return "ResourceAttributes" + attributes;
    }
}
