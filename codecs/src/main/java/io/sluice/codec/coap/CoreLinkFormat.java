package io.sluice.codec.coap;

import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CoRE Link Format (RFC 6690 §2), written and read: {@code </a>;rt="x";ct=0;obs,</b>}.
 * Values are written as quoted strings except numbers; reading accepts quoted strings (with
 * backslash escapes) and bare tokens, and blanks around separators.
 *
 * <p>Reading fails with a {@link CodecException} naming the character offset for a link that does
 * not start with {@code <}, an unterminated URI or quoted string, a parameter without a name, and
 * anything but {@code ;} or {@code ,} after a parameter; {@link Limits} bound the document
 * ({@code maxMessageBytes} characters), the links and parameters ({@code maxElements}) and each
 * value ({@code maxStringBytes}). Stateless and thread-safe.
 */
public final class CoreLinkFormat {

    private CoreLinkFormat() {
    }

    /**
     * @param links the links
     * @return the document
     */
    public static String write(List<CoreLink> links) {
        StringBuilder out = new StringBuilder();
        for (CoreLink link : links) {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append('<').append(link.target()).append('>');
            link.attributes().forEach((name, values) -> {
                for (String v : values) {
                    out.append(';').append(name);
                    if (!v.isEmpty() || !name.equals("obs")) {
                        if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
                            out.append('=').append(v);
                        } else if (!v.isEmpty()) {
                            out.append("=\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                        }
                    }
                }
            });
        }
        return out.toString();
    }

    /**
     * @param document a link-format document
     * @param limits bounds on size, count and value length
     * @return the links, in order
     * @throws CodecException when the document is malformed or breaks a limit
     */
    public static List<CoreLink> read(String document, Limits limits) {
        limits.checkMessageBytes(document.length());
        List<CoreLink> links = new ArrayList<>();
        int elements = 0;
        int i = skipBlanks(document, 0);
        while (i < document.length()) {
            if (document.charAt(i) != '<') {
                throw CodecException.malformed(i, "a link starts with '<', found '" + document.charAt(i) + "'");
            }
            int close = document.indexOf('>', i + 1);
            if (close < 0) {
                throw CodecException.truncated(document.length(), "the URI opened at " + i + " is not closed with '>'");
            }
            String target = document.substring(i + 1, close);
            limits.checkStringBytes(target.length(), i);
            limits.checkElements(++elements, i);
            Map<String, List<String>> attributes = new LinkedHashMap<>();
            i = skipBlanks(document, close + 1);
            while (i < document.length() && document.charAt(i) == ';') {
                i = skipBlanks(document, i + 1);
                int nameStart = i;
                while (i < document.length() && isNameChar(document.charAt(i))) {
                    i++;
                }
                if (i == nameStart) {
                    throw CodecException.malformed(i, "a link parameter has no name");
                }
                String name = document.substring(nameStart, i);
                limits.checkElements(++elements, nameStart);
                String value = "";
                i = skipBlanks(document, i);
                if (i < document.length() && document.charAt(i) == '=') {
                    i = skipBlanks(document, i + 1);
                    if (i < document.length() && document.charAt(i) == '"') {
                        StringBuilder quoted = new StringBuilder();
                        int open = i++;
                        for (;; i++) {
                            if (i >= document.length()) {
                                throw CodecException.truncated(document.length(), "the quoted string opened at " + open + " is not closed");
                            }
                            char c = document.charAt(i);
                            if (c == '\\' && i + 1 < document.length()) {
                                quoted.append(document.charAt(++i));
                            } else if (c == '"') {
                                i++;
                                break;
                            } else {
                                quoted.append(c);
                            }
                            limits.checkStringBytes(quoted.length(), open);
                        }
                        value = quoted.toString();
                    } else {
                        int start = i;
                        while (i < document.length() && document.charAt(i) != ';' && document.charAt(i) != ',') {
                            i++;
                        }
                        value = document.substring(start, i).trim();
                        limits.checkStringBytes(value.length(), start);
                    }
                }
                attributes.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
                i = skipBlanks(document, i);
            }
            links.add(new CoreLink(target, attributes));
            if (i < document.length()) {
                if (document.charAt(i) != ',') {
                    throw CodecException.malformed(i, "expected ',' or ';' after a link, found '" + document.charAt(i) + "'");
                }
                i = skipBlanks(document, i + 1);
                if (i >= document.length()) {
                    throw CodecException.truncated(document.length(), "a ',' with no link after it");
                }
            }
        }
        return links;
    }

    private static boolean isNameChar(char c) {
        // RFC 5988 parmname: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"; plus "*" for ext names
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$&+-.^_`|~*".indexOf(c) >= 0;
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r' || s.charAt(i) == '\n')) {
            i++;
        }
        return i;
    }
}
