package io.sluice.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AttributesTest {

    private static final AttributeKey<String> USER = AttributeKey.of("user", String.class);
    private static final AttributeKey<Integer> RETRIES = AttributeKey.of("retries", Integer.class);

    @Test
    void valuesAreTypedAndAbsenceIsEmpty() {
        Attributes attributes = new Attributes();
        assertThat(attributes.get(USER)).isEmpty();
        assertThat(attributes.put(USER, "alice")).isEmpty();
        assertThat(attributes.put(USER, "bob")).contains("alice");
        assertThat(attributes.get(USER)).contains("bob");
        assertThat(attributes.keys()).containsExactly(USER);
        assertThat(attributes.remove(USER)).contains("bob");
        assertThat(attributes.get(USER)).isEmpty();
    }

    @Test
    void keysWithTheSameNameAreDifferentKeys() {
        Attributes attributes = new Attributes();
        AttributeKey<String> otherUser = AttributeKey.of("user", String.class);
        attributes.put(USER, "alice");
        assertThat(attributes.get(otherUser)).isEmpty();
        assertThat(otherUser.toString()).isEqualTo("AttributeKey(user: String)");
    }

    @Test
    void computeIfAbsentRunsTheSupplierOnce() {
        Attributes attributes = new Attributes();
        AtomicInteger calls = new AtomicInteger();
        assertThat(attributes.computeIfAbsent(RETRIES, () -> calls.incrementAndGet() * 10)).isEqualTo(10);
        assertThat(attributes.computeIfAbsent(RETRIES, () -> calls.incrementAndGet() * 10)).isEqualTo(10);
        assertThat(calls).hasValue(1);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aValueOfTheWrongTypeIsRefusedEvenThroughRawTypes() {
        Attributes attributes = new Attributes();
        AttributeKey raw = RETRIES;
        assertThatThrownBy(() -> attributes.put(raw, "not a number")).isInstanceOf(ClassCastException.class);
        assertThatThrownBy(() -> attributes.put(USER, null)).isInstanceOf(NullPointerException.class);
    }
}
