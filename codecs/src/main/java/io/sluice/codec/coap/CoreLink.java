package io.sluice.codec.coap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One link of the CoRE Link Format (RFC 6690 §2): a target URI and its attributes, such as
 * {@code rt} (resource type), {@code if} (interface description), {@code ct} (content format),
 * {@code sz} (size), {@code obs} (observable, no value) and {@code title}. An attribute may
 * appear more than once; {@code rt} and {@code if} values are space-separated lists.
 *
 * <p>Immutable and thread-safe.
 *
 * @param target the URI-Reference between the angle brackets, such as {@code /sensors/temp}
 * @param attributes the attributes in the order given, each with its values ("" for a name with no value)
 */
public record CoreLink(String target, Map<String, List<String>> attributes) {

    /** The Content-Format of a CoRE Link Format document: {@code application/link-format}. */
    public static final int CONTENT_FORMAT = 40;

    /**
     * Copies the attributes.
     *
     * @param target the URI-Reference between the angle brackets, such as {@code /sensors/temp}
     * @param attributes the attributes in the order given, each with its values ("" for a name with no value)
     */
    public CoreLink {
        Objects.requireNonNull(target, "target");
        Map<String, List<String>> copy = new LinkedHashMap<>();
        attributes.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        attributes = java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * @param name an attribute name
     * @return its first value, if the attribute is there ("" for one without a value)
     */
    public Optional<String> attribute(String name) {
        List<String> values = attributes.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** @return whether the link carries {@code obs} */
    public boolean observable() {
        return attributes.containsKey("obs");
    }

    /**
     * @param name an attribute whose values are space-separated lists ({@code rt}, {@code if})
     * @return every value in every occurrence
     */
    public List<String> values(String name) {
        List<String> out = new ArrayList<>();
        for (String v : attributes.getOrDefault(name, List.of())) {
            for (String part : v.split(" ")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
        }
        return out;
    }

    /**
     * Whether the link passes an RFC 6690 §4.1 query filter: {@code href} matches the target, any
     * other name one of the attribute's values (each word of {@code rt} and {@code if}); a value
     * ending in {@code *} matches as a prefix. A link without the attribute does not pass.
     *
     * @param name the filter's attribute name
     * @param value the filter's value
     * @return whether it passes
     */
    public boolean matches(String name, String value) {
        boolean prefix = value.endsWith("*");
        String wanted = prefix ? value.substring(0, value.length() - 1) : value;
        List<String> candidates = name.equals("href") ? List.of(target)
                : name.equals("rt") || name.equals("if") ? values(name) : attributes.getOrDefault(name, List.of());
        for (String c : candidates) {
            if (prefix ? c.startsWith(wanted) : c.equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
