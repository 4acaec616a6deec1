package io.sluice.coap;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A response: code, options and the whole body (block-wise transfers are reassembled before a
 * client sees a response and split after a handler returns one).
 *
 * <p>Handlers build them ({@code CoapResponse.content("22.5")}); clients receive them with the
 * address they came from ({@link #source()}, which matters for multicast). Immutable and
 * thread-safe; the body is copied in and never shared.
 */
public final class CoapResponse {

    private static final byte[] NONE = new byte[0];

    private final CoapCode code;
    private final CoapOptions options;
    private final byte[] body;
    private final InetSocketAddress source;

    private CoapResponse(CoapCode code, CoapOptions options, byte[] body, InetSocketAddress source) {
        if (!code.isResponse()) {
            throw new IllegalArgumentException(code + " is not a response code");
        }
        this.code = code;
        this.options = options;
        this.body = body;
        this.source = source;
    }

    /**
     * @param code a response code (classes 2–5)
     * @return a response with no options or body
     */
    public static CoapResponse of(CoapCode code) {
        return new CoapResponse(code, CoapOptions.empty(), NONE, null);
    }

    /**
     * @param body the body
     * @return 2.05 Content with that body
     */
    public static CoapResponse content(byte[] body) {
        return of(CoapCode.CONTENT).body(body);
    }

    /**
     * @param text the body as UTF-8 text, Content-Format text/plain (0)
     * @return 2.05 Content
     */
    public static CoapResponse content(String text) {
        return of(CoapCode.CONTENT).body(text).contentFormat(0);
    }

    static CoapResponse received(CoapCode code, CoapOptions options, byte[] body, InetSocketAddress source) {
        return new CoapResponse(code, options, body.length == 0 ? NONE : body, source);
    }

    /** @return the code */
    public CoapCode code() {
        return code;
    }

    /** @return whether the code is 2.xx */
    public boolean isSuccess() {
        return code.isSuccess();
    }

    /** @return the options */
    public CoapOptions options() {
        return options;
    }

    /** @return a copy of the body */
    public byte[] body() {
        return body.clone();
    }

    /** @return the body as UTF-8 text */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** @return the body length */
    public int bodyLength() {
        return body.length;
    }

    byte[] bodyArray() {
        return body;
    }

    /** @return the address this response came from; empty on responses a handler built */
    public Optional<InetSocketAddress> source() {
        return Optional.ofNullable(source);
    }

    /** @return the Observe sequence number of a notification, or -1 */
    public long observe() {
        return options.observe();
    }

    /**
     * @param newBody the body; copied
     * @return a copy with that body
     */
    public CoapResponse body(byte[] newBody) {
        return new CoapResponse(code, options, newBody.length == 0 ? NONE : newBody.clone(), source);
    }

    /**
     * @param text the body as UTF-8 text
     * @return a copy with that body
     */
    public CoapResponse body(String text) {
        return new CoapResponse(code, options, text.getBytes(StandardCharsets.UTF_8), source);
    }

    /**
     * @param format the Content-Format of the body
     * @return a copy with it
     */
    public CoapResponse contentFormat(int format) {
        return options(o -> o.contentFormat(format));
    }

    /**
     * @param seconds how long the response stays fresh
     * @return a copy with Max-Age
     */
    public CoapResponse maxAge(long seconds) {
        return options(o -> o.setUint(CoapOptions.MAX_AGE, seconds));
    }

    /**
     * @param change edits a builder holding the current options
     * @return a copy with the edited options
     */
    public CoapResponse options(UnaryOperator<CoapOptions.Builder> change) {
        return new CoapResponse(code, change.apply(options.toBuilder()).build(), body, source);
    }

    @Override
    public String toString() {
        return code + (body.length > 0 ? " (" + body.length + " bytes)" : "") + (source != null ? " from " + source : "");
    }
}
