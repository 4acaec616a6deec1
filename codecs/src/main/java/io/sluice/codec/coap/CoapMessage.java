package io.sluice.codec.coap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One CoAP message (RFC 7252 §3): type, code, message ID, token, options and payload.
 *
 * <p>Immutable and thread-safe. The token and payload are held as arrays that this class never
 * changes; accessors return copies, except {@link #payloadArray()}, which lets a hot path read the
 * payload without one. A message owns no {@code ByteBuf} and needs no release.
 */
public final class CoapMessage {

    private static final byte[] NONE = new byte[0];

    private final CoapType type;
    private final CoapCode code;
    private final int messageId;
    private final byte[] token;
    private final CoapOptions options;
    private final byte[] payload;

    private CoapMessage(CoapType type, CoapCode code, int messageId, byte[] token, CoapOptions options, byte[] payload) {
        this.type = Objects.requireNonNull(type, "type");
        this.code = Objects.requireNonNull(code, "code");
        if (messageId < 0 || messageId > 0xFFFF) {
            throw new IllegalArgumentException("message ID " + messageId + " is outside 0-65535");
        }
        if (token.length > 8) {
            throw new IllegalArgumentException("a token has at most 8 bytes, got " + token.length);
        }
        this.messageId = messageId;
        this.token = token;
        this.options = Objects.requireNonNull(options, "options");
        this.payload = payload;
    }

    /**
     * @param type the type
     * @param code the code
     * @param messageId the message ID, 0–65535
     * @return a message with no token, options or payload
     */
    public static CoapMessage of(CoapType type, CoapCode code, int messageId) {
        return new CoapMessage(type, code, messageId, NONE, CoapOptions.empty(), NONE);
    }

    /**
     * @param messageId the ID of the confirmable message being acknowledged
     * @return an empty ACK
     */
    public static CoapMessage emptyAck(int messageId) {
        return of(CoapType.ACK, CoapCode.EMPTY, messageId);
    }

    /**
     * @param messageId the ID of the message being rejected
     * @return a RST
     */
    public static CoapMessage reset(int messageId) {
        return of(CoapType.RST, CoapCode.EMPTY, messageId);
    }

    /** @return the type */
    public CoapType type() {
        return type;
    }

    /** @return the code */
    public CoapCode code() {
        return code;
    }

    /** @return the message ID */
    public int messageId() {
        return messageId;
    }

    /** @return a copy of the token (0–8 bytes) */
    public byte[] token() {
        return token.clone();
    }

    /** @return the token length */
    public int tokenLength() {
        return token.length;
    }

    /**
     * @param other a token
     * @return whether this message carries exactly that token
     */
    public boolean hasToken(byte[] other) {
        return Arrays.equals(token, other);
    }

    /** @return the token as a number (big-endian), for use as a map key; tokens are at most 8 bytes */
    public long tokenAsLong() {
        long v = 0;
        for (byte b : token) {
            v = (v << 8) | (b & 0xFF);
        }
        return v;
    }

    /** @return the options */
    public CoapOptions options() {
        return options;
    }

    /** @return a copy of the payload */
    public byte[] payload() {
        return payload.clone();
    }

    /** @return the payload decoded as UTF-8 */
    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** @return the payload length */
    public int payloadLength() {
        return payload.length;
    }

    /**
     * Copies part of the payload out without another intermediate array.
     *
     * @param from the first byte
     * @param length how many bytes
     * @param out where to write
     * @param at where in {@code out}
     */
    public void copyPayload(int from, int length, byte[] out, int at) {
        System.arraycopy(payload, from, out, at, length);
    }

    /** @return whether this message is the empty message of its type (code 0.00) */
    public boolean isEmpty() {
        return code.isEmpty();
    }

    /**
     * @param newType the type
     * @return a copy with that type
     */
    public CoapMessage withType(CoapType newType) {
        return new CoapMessage(newType, code, messageId, token, options, payload);
    }

    /**
     * @param newCode the code
     * @return a copy with that code
     */
    public CoapMessage withCode(CoapCode newCode) {
        return new CoapMessage(type, newCode, messageId, token, options, payload);
    }

    /**
     * @param newMessageId the message ID
     * @return a copy with that message ID
     */
    public CoapMessage withMessageId(int newMessageId) {
        return new CoapMessage(type, code, newMessageId, token, options, payload);
    }

    /**
     * @param newToken the token, 0–8 bytes; copied
     * @return a copy with that token
     */
    public CoapMessage withToken(byte[] newToken) {
        return new CoapMessage(type, code, messageId, newToken.clone(), options, payload);
    }

    /**
     * @param newOptions the options
     * @return a copy with those options
     */
    public CoapMessage withOptions(CoapOptions newOptions) {
        return new CoapMessage(type, code, messageId, token, newOptions, payload);
    }

    /**
     * @param newPayload the payload; copied
     * @return a copy with that payload
     */
    public CoapMessage withPayload(byte[] newPayload) {
        return new CoapMessage(type, code, messageId, token, options, newPayload.length == 0 ? NONE : newPayload.clone());
    }

    /**
     * @param text the payload as UTF-8 text
     * @return a copy with that payload
     */
    public CoapMessage withPayload(String text) {
        return new CoapMessage(type, code, messageId, token, options, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Used by the codec and by block-wise slicing, which own the arrays they pass. */
    static CoapMessage trusted(CoapType type, CoapCode code, int messageId, byte[] token, CoapOptions options, byte[] payload) {
        return new CoapMessage(type, code, messageId, token.length == 0 ? NONE : token, options, payload.length == 0 ? NONE : payload);
    }

    /**
     * A copy whose payload is {@code length} bytes of this one's from {@code from}, for block-wise
     * transfer.
     *
     * @param from the first byte
     * @param length how many bytes
     * @return the copy
     */
    public CoapMessage withPayloadSlice(int from, int length) {
        return trusted(type, code, messageId, token, options, Arrays.copyOfRange(payload, from, from + length));
    }

    byte[] tokenArray() {
        return token;
    }

    /**
     * The payload array itself, without a copy, for code on a hot path that only reads it.
     * Writing to it breaks this message's immutability.
     *
     * @return the payload array
     */
    public byte[] payloadArray() {
        return payload;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CoapMessage m && m.type == type && m.code.equals(code) && m.messageId == messageId
                && Arrays.equals(m.token, token) && m.options.equals(options) && Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, code, messageId, Arrays.hashCode(token), options, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return type + " " + code + " mid=" + messageId + (token.length > 0 ? " token=" + CoapOptions.hex(token) : "")
                + (options.size() > 0 ? " " + options : "") + (payload.length > 0 ? " payload=" + payload.length + "B" : "");
    }
}
