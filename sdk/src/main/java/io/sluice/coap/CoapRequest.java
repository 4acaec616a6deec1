package io.sluice.coap;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapOptions;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A request to send: method, Uri-Path and Uri-Query, other options, body, and whether it travels
 * confirmable. Bodies of any size up to the client's maximum are sent block-wise (RFC 7959) when
 * they exceed the block size; the caller never sees blocks.
 *
 * <pre>{@code
 * CoapRequest.get("/sensors/temp").accept(50)
 * CoapRequest.put("/config", bytes).contentFormat(42).nonConfirmable()
 * }</pre>
 *
 * <p>Immutable and thread-safe: every {@code with…}-style method returns a new request. The body
 * is copied in and never shared.
 */
public final class CoapRequest {

    private static final byte[] NONE = new byte[0];

    private final CoapCode method;
    private final CoapOptions options;
    private final byte[] body;
    private final boolean confirmable;

    private CoapRequest(CoapCode method, CoapOptions options, byte[] body, boolean confirmable) {
        if (!method.isRequest()) {
            throw new IllegalArgumentException(method + " is not a request method");
        }
        this.method = method;
        this.options = options;
        this.body = body;
        this.confirmable = confirmable;
    }

    /**
     * @param method a request code (0.01–0.31)
     * @param path a {@code /}-separated path, e.g. {@code /a/b}; a {@code ?query} part becomes Uri-Query
     * @return a confirmable request with no body
     */
    public static CoapRequest of(CoapCode method, String path) {
        Objects.requireNonNull(path, "path");
        int q = path.indexOf('?');
        CoapOptions.Builder options = CoapOptions.builder().uriPath(q < 0 ? path : path.substring(0, q));
        if (q >= 0) {
            options.uriQuery(path.substring(q + 1));
        }
        return new CoapRequest(method, options.build(), NONE, true);
    }

    /**
     * @param path the resource path
     * @return a GET
     */
    public static CoapRequest get(String path) {
        return of(CoapCode.GET, path);
    }

    /**
     * @param path the resource path
     * @param body the body
     * @return a POST
     */
    public static CoapRequest post(String path, byte[] body) {
        return of(CoapCode.POST, path).body(body);
    }

    /**
     * @param path the resource path
     * @param body the body
     * @return a PUT
     */
    public static CoapRequest put(String path, byte[] body) {
        return of(CoapCode.PUT, path).body(body);
    }

    /**
     * @param path the resource path
     * @return a DELETE
     */
    public static CoapRequest delete(String path) {
        return of(CoapCode.DELETE, path);
    }

    /**
     * @param path the resource path
     * @param body the query body
     * @return a FETCH (RFC 8132)
     */
    public static CoapRequest fetch(String path, byte[] body) {
        return of(CoapCode.FETCH, path).body(body);
    }

    /** @return the method */
    public CoapCode method() {
        return method;
    }

    /** @return the Uri-Path without a leading slash */
    public String path() {
        return options.uriPath();
    }

    /** @return the Uri-Query items joined by {@code &} */
    public String query() {
        return options.uriQuery();
    }

    /** @return the options (Uri-Path and Uri-Query included) */
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

    /** @return whether the request travels as CON (the default) */
    public boolean isConfirmable() {
        return confirmable;
    }

    /**
     * @param newBody the body; copied
     * @return a copy with that body
     */
    public CoapRequest body(byte[] newBody) {
        return new CoapRequest(method, options, newBody.length == 0 ? NONE : newBody.clone(), confirmable);
    }

    /**
     * @param text the body as UTF-8 text
     * @return a copy with that body
     */
    public CoapRequest body(String text) {
        return new CoapRequest(method, options, text.getBytes(StandardCharsets.UTF_8), confirmable);
    }

    /** @return a copy sent as NON */
    public CoapRequest nonConfirmable() {
        return new CoapRequest(method, options, body, false);
    }

    /** @return a copy sent as CON */
    public CoapRequest confirmable() {
        return new CoapRequest(method, options, body, true);
    }

    /**
     * @param format the Content-Format of the body
     * @return a copy with it
     */
    public CoapRequest contentFormat(int format) {
        return options(o -> o.contentFormat(format));
    }

    /**
     * @param format the Content-Format wanted in the response
     * @return a copy with Accept set
     */
    public CoapRequest accept(int format) {
        return options(o -> o.setUint(CoapOptions.ACCEPT, format));
    }

    /**
     * @param mask the RFC 7967 No-Response bits (2: no 2.xx, 8: no 4.xx, 16: no 5.xx)
     * @return a copy with No-Response set
     */
    public CoapRequest noResponse(int mask) {
        return options(o -> o.setUint(CoapOptions.NO_RESPONSE, mask));
    }

    /**
     * @param change edits a builder holding the current options
     * @return a copy with the edited options
     */
    public CoapRequest options(UnaryOperator<CoapOptions.Builder> change) {
        return new CoapRequest(method, change.apply(options.toBuilder()).build(), body, confirmable);
    }

    /** Used by the server to hand a reassembled request to a handler. */
    static CoapRequest received(CoapCode method, CoapOptions options, byte[] body, boolean confirmable) {
        return new CoapRequest(method, options, body.length == 0 ? NONE : body, confirmable);
    }

    @Override
    public String toString() {
        return method + " /" + path() + (query().isEmpty() ? "" : "?" + query()) + (body.length > 0 ? " (" + body.length + " bytes)" : "");
    }
}
