package io.sluice.codec.coap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.codec.CodecErrorCode;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 6690 §2 link format, read and written, with its §4.1 filters. */
class CoreLinkFormatTest {

    @Test
    void theRfcsExampleReadsLinkByLink() {
        // RFC 6690 §5, the first example's answer.
        List<CoreLink> links = CoreLinkFormat.read("</sensors/temp>;if=\"sensor\",</sensors/light>;if=\"sensor\"", Limits.defaults());
        assertThat(links).extracting(CoreLink::target).containsExactly("/sensors/temp", "/sensors/light");
        assertThat(links.get(0).attribute("if")).contains("sensor");
        // Bare tokens, a name without a value, repeats, lists in rt, blanks around separators.
        List<CoreLink> more = CoreLinkFormat.read(" </t>;ct=40 ; obs;rt=\"a b\";rt=c , </u>;title=\"say \\\"hi\\\"\"", Limits.defaults());
        assertThat(more.get(0).attribute("ct")).contains("40");
        assertThat(more.get(0).observable()).isTrue();
        assertThat(more.get(0).values("rt")).containsExactly("a", "b", "c");
        assertThat(more.get(1).attribute("title")).contains("say \"hi\"");
        assertThat(CoreLinkFormat.read("", Limits.defaults())).isEmpty();
    }

    @Test
    void writtenLinksReadBackEqual() {
        List<CoreLink> links = List.of(
                new CoreLink("/temp", Map.of("rt", List.of("temperature-c"), "obs", List.of(""))),
                new CoreLink("/hello", Map.of("ct", List.of("0"), "title", List.of("A \"greeting\""))));
        String document = CoreLinkFormat.write(links);
        assertThat(document).contains("</temp>").contains(";obs").contains(";ct=0");
        assertThat(CoreLinkFormat.read(document, Limits.defaults())).isEqualTo(links);
    }

    @Test
    void filtersMatchValuesWordsAndPrefixes() {
        CoreLink temp = new CoreLink("/sensors/temp", Map.of("rt", List.of("temperature-c outdoor"), "obs", List.of(""), "ct", List.of("0")));
        assertThat(temp.matches("rt", "outdoor")).isTrue();
        assertThat(temp.matches("rt", "temperature*")).isTrue();
        assertThat(temp.matches("rt", "humidity")).isFalse();
        assertThat(temp.matches("href", "/sensors/*")).isTrue();
        assertThat(temp.matches("href", "/sensors")).isFalse();
        assertThat(temp.matches("ct", "0")).isTrue();
        assertThat(temp.matches("obs", "*")).isTrue();
        assertThat(temp.matches("if", "*")).isFalse();
    }

    @Test
    void malformedDocumentsFailWithTheirOffset() {
        assertThatThrownBy(() -> CoreLinkFormat.read("/a>", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("at byte 0").contains("'<'"));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a>;title=\"open", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("quoted string"));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a>;=x", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("no name"));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a> </b>", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.getMessage()).contains("expected ','"));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a>,", Limits.defaults()))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.TRUNCATED));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a>,</b>,</c>", Limits.defaults().withMaxElements(2)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
        assertThatThrownBy(() -> CoreLinkFormat.read("</a>;title=\"" + "x".repeat(100) + "\"", Limits.defaults().withMaxStringBytes(50)))
                .isInstanceOfSatisfying(CodecException.class, e -> assertThat(e.errorCode()).isEqualTo(CodecErrorCode.LIMIT_EXCEEDED));
    }

    @Test
    void randomTextReadsOrFailsWithACodecException() {
        Random random = new Random(6690);
        String alphabet = "<>;,=\"\\ /abrt*0";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(30); n > 0; n--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                CoreLinkFormat.read(s.toString(), Limits.defaults());
            } catch (CodecException expected) {
                // the only failure allowed
            }
        }
    }
}
