package io.sluice.session;

import java.util.Objects;

/**
 * The typed name of an attribute that applications attach to live objects (sessions,
 * connections), in place of the seeds' untyped app-data pointers.
 *
 * <p>Keys compare by identity: two keys created with the same name are different keys, so
 * libraries cannot collide by accident. Create each key once, as a constant. Immutable.
 *
 * @param <T> the value type
 */
public final class AttributeKey<T> {

    private final String name;
    private final Class<T> type;

    private AttributeKey(String name, Class<T> type) {
        this.name = name;
        this.type = type;
    }

    /**
     * A new key.
     *
     * @param name for diagnostics only
     * @param type the value type; values are checked against it
     * @param <T> the value type
     * @return the key
     */
    public static <T> AttributeKey<T> of(String name, Class<T> type) {
        return new AttributeKey<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(type, "type"));
    }

    /** @return the name given at creation */
    public String name() {
        return name;
    }

    /** @return the value type */
    public Class<T> type() {
        return type;
    }

    @Override
    public String toString() {
        return "AttributeKey(" + name + ": " + type.getSimpleName() + ")";
    }
}
