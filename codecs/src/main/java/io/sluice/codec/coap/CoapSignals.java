package io.sluice.codec.coap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Signalling messages of CoAP over reliable transports (RFC 8323 §5): 7.01 CSM, 7.02 Ping,
 * 7.03 Pong, 7.04 Release and 7.05 Abort, built and read. Their option numbers are scoped to their
 * code (§5.2): option 2 of a CSM is Max-Message-Size, option 2 of a Release is Alternative-Address.
 * As in RFC 7252, odd option numbers are critical: a receiver that does not know a critical option
 * of a CSM aborts the connection naming it (Bad-CSM-Option, §5.3), and ignores unknown elective ones.
 *
 * <p>Stateless and thread-safe; messages are the immutable {@link CoapMessage}s that
 * {@link CoapReliableCodec} reads and writes.
 */
public final class CoapSignals {

    /** CSM option 2: the largest message the sender can receive, in bytes (uint, 0–4 bytes). */
    public static final int MAX_MESSAGE_SIZE = 2;
    /** CSM option 4: the sender supports block-wise transfer (RFC 7959) and BERT (empty). */
    public static final int BLOCK_WISE_TRANSFER = 4;
    /** Ping and Pong option 2: the sender asks (Ping) or confirms (Pong) that all earlier messages were processed (empty). */
    public static final int CUSTODY = 2;
    /** Release option 2: where to reconnect instead (string, 1–255 bytes, repeatable). */
    public static final int ALTERNATIVE_ADDRESS = 2;
    /** Release option 4: how many seconds to wait before reconnecting (uint, 0–3 bytes). */
    public static final int HOLD_OFF = 4;
    /** Abort option 2: the CSM option that caused the abort (uint, 0–2 bytes). */
    public static final int BAD_CSM_OPTION = 2;

    /** Max-Message-Size assumed until the peer's CSM says otherwise (RFC 8323 §5.3.1). */
    public static final long BASE_MAX_MESSAGE_SIZE = 1152;

    private CoapSignals() {
    }

    /** What a CSM says; absent options keep their defaults (§5.3.1, §5.3.2). */
    public record Csm(long maxMessageSize, boolean blockWiseTransfer) {
    }

    /** What a Release says (§5.5). */
    public record Release(List<String> alternativeAddresses, Optional<Long> holdOffSeconds, String diagnostic) {
    }

    /**
     * @param maxMessageSize the largest message this side receives
     * @param blockWiseTransfer whether this side does block-wise transfer and BERT
     * @return a 7.01 CSM
     */
    public static CoapMessage csm(long maxMessageSize, boolean blockWiseTransfer) {
        if (maxMessageSize < 0 || maxMessageSize > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("Max-Message-Size " + maxMessageSize + " is outside 0-4294967295");
        }
        CoapOptions.Builder options = CoapOptions.builder().setUint(MAX_MESSAGE_SIZE, maxMessageSize);
        if (blockWiseTransfer) {
            options.add(BLOCK_WISE_TRANSFER, new byte[0]);
        }
        return signal(CoapCode.CSM, options.build(), "");
    }

    /**
     * @param custody whether the peer should answer only after processing everything before
     * @return a 7.02 Ping
     */
    public static CoapMessage ping(boolean custody) {
        return signal(CoapCode.PING, custody ? CoapOptions.builder().add(CUSTODY, new byte[0]).build() : CoapOptions.empty(), "");
    }

    /**
     * @param ping the Ping being answered: the Pong carries its token (§5.4)
     * @param custody whether everything before the Ping was processed
     * @return a 7.03 Pong
     */
    public static CoapMessage pong(CoapMessage ping, boolean custody) {
        return signal(CoapCode.PONG, custody ? CoapOptions.builder().add(CUSTODY, new byte[0]).build() : CoapOptions.empty(), "")
                .withToken(ping.token());
    }

    /**
     * @param alternativeAddresses where to reconnect instead, in order of preference (may be empty)
     * @param holdOffSeconds how long to wait before reconnecting, or null
     * @param diagnostic a diagnostic payload for people (may be empty)
     * @return a 7.04 Release
     */
    public static CoapMessage release(List<String> alternativeAddresses, Long holdOffSeconds, String diagnostic) {
        CoapOptions.Builder options = CoapOptions.builder();
        for (String address : alternativeAddresses) {
            byte[] bytes = address.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 1 || bytes.length > 255) {
                throw new IllegalArgumentException("an Alternative-Address has 1-255 bytes, got " + bytes.length);
            }
            options.add(ALTERNATIVE_ADDRESS, bytes);
        }
        if (holdOffSeconds != null) {
            if (holdOffSeconds < 0 || holdOffSeconds > 0xFFFFFF) {
                throw new IllegalArgumentException("Hold-Off " + holdOffSeconds + " is outside 0-16777215 s");
            }
            options.setUint(HOLD_OFF, holdOffSeconds);
        }
        return signal(CoapCode.RELEASE, options.build(), diagnostic);
    }

    /**
     * @param badCsmOption the CSM option that could not be processed, or -1 for none
     * @param diagnostic a diagnostic payload for people (may be empty)
     * @return a 7.05 Abort
     */
    public static CoapMessage abort(int badCsmOption, String diagnostic) {
        CoapOptions options = badCsmOption < 0 ? CoapOptions.empty()
                : CoapOptions.builder().setUint(BAD_CSM_OPTION, badCsmOption).build();
        return signal(CoapCode.ABORT, options, diagnostic);
    }

    /**
     * Reads a CSM over what the peer said before (each CSM updates the settings it names, §5.3).
     *
     * @param csm a 7.01 message
     * @param previous the settings in force
     * @return the new settings
     * @throws IllegalArgumentException naming the first option that is critical and unknown, or malformed
     *     (the caller aborts with {@link #abort(int, String)} and that number)
     */
    public static Csm readCsm(CoapMessage csm, Csm previous) {
        requireCode(csm, CoapCode.CSM);
        long max = previous.maxMessageSize();
        boolean blockWise = previous.blockWiseTransfer();
        for (CoapOptions.Option o : csm.options().all()) {
            switch (o.number()) {
                case MAX_MESSAGE_SIZE -> {
                    if (o.value().length > 4) {
                        throw new BadSignalOption(o.number(), "Max-Message-Size of " + o.value().length + " bytes (0-4)");
                    }
                    max = o.uintValue();
                }
                case BLOCK_WISE_TRANSFER -> {
                    if (o.value().length != 0) {
                        throw new BadSignalOption(o.number(), "Block-Wise-Transfer carries no value");
                    }
                    blockWise = true;
                }
                default -> {
                    if (isCritical(o.number())) {
                        throw new BadSignalOption(o.number(), "unknown critical CSM option " + o.number());
                    }
                }
            }
        }
        return new Csm(max, blockWise);
    }

    /**
     * @param release a 7.04 message
     * @return what it says
     */
    public static Release readRelease(CoapMessage release) {
        requireCode(release, CoapCode.RELEASE);
        List<String> addresses = new ArrayList<>();
        Long holdOff = null;
        for (CoapOptions.Option o : release.options().all()) {
            if (o.number() == ALTERNATIVE_ADDRESS) {
                addresses.add(new String(o.value(), StandardCharsets.UTF_8));
            } else if (o.number() == HOLD_OFF) {
                holdOff = o.uintValue();
            }
        }
        return new Release(List.copyOf(addresses), Optional.ofNullable(holdOff), release.payloadText());
    }

    /**
     * @param abort a 7.05 message
     * @return the Bad-CSM-Option it names, if any
     */
    public static Optional<Integer> badCsmOption(CoapMessage abort) {
        requireCode(abort, CoapCode.ABORT);
        java.util.OptionalLong bad = abort.options().uint(BAD_CSM_OPTION);
        return bad.isPresent() ? Optional.of((int) bad.getAsLong()) : Optional.empty();
    }

    /**
     * @param message a Ping or Pong
     * @return whether it carries Custody
     */
    public static boolean custody(CoapMessage message) {
        return message.options().has(CUSTODY);
    }

    /**
     * @param number a signalling option number
     * @return whether it is critical (odd, as in RFC 7252 §5.4.6)
     */
    public static boolean isCritical(int number) {
        return (number & 1) == 1;
    }

    /** A signalling option that cannot be processed: the number goes into the Abort's Bad-CSM-Option. */
    public static final class BadSignalOption extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        /** The offending option's number. */
        private final int option;

        BadSignalOption(int option, String message) {
            super(message);
            this.option = option;
        }

        /** @return the option number */
        public int option() {
            return option;
        }
    }

    private static CoapMessage signal(CoapCode code, CoapOptions options, String diagnostic) {
        CoapMessage m = CoapMessage.of(CoapType.NON, code, 0).withOptions(options);
        return diagnostic.isEmpty() ? m : m.withPayload(diagnostic);
    }

    private static void requireCode(CoapMessage message, CoapCode code) {
        if (!message.code().equals(code)) {
            throw new IllegalArgumentException("expected " + code + ", got " + message.code());
        }
    }
}
