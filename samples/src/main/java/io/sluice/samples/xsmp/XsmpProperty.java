package io.sluice.samples.xsmp;

import java.util.List;
import java.util.Objects;

/**
 * One XSMP property a client keeps with its session manager ({@code SmProp}): a name such as
 * {@code RestartCommand}, a type ({@code ARRAY8}, {@code LISTofARRAY8} or {@code CARD8}) and its
 * values. Values are byte strings on the wire; here each byte is one character (ISO-8859-1),
 * which maps every byte string to a string and back unchanged. Immutable.
 *
 * @param name the property name
 * @param type the property type
 * @param values the values, in order
 */
public record XsmpProperty(String name, String type, List<String> values) {

    /** Checks the parts and copies the values. */
    public XsmpProperty {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        values = List.copyOf(values);
    }
}
