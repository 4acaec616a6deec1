package io.sluice.ice;

import java.util.Objects;

/**
 * What one step of an authentication method decided ({@code IcePoAuthStatus} /
 * {@code IcePaAuthStatus}). Immutable; the data is copied.
 *
 * @param kind the decision
 * @param data what to send the peer with {@link Kind#REPLY} (AuthReply) or {@link Kind#CONTINUE}
 *     (AuthRequired first, AuthNextPhase after); empty otherwise
 * @param reason why, for {@link Kind#REJECTED} and {@link Kind#FAILED}; sent to the peer in the Error
 */
public record IceAuthStep(Kind kind, byte[] data, String reason) {

    /** The decisions a step can make. */
    public enum Kind {
        /** Originator: send this reply. */
        REPLY,
        /** Acceptor: send this challenge and wait for the next reply. */
        CONTINUE,
        /** Acceptor: the peer is authenticated. */
        ACCEPTED,
        /** Either side: the credentials are wrong (AuthRejected). */
        REJECTED,
        /** Either side: authentication could not be done, e.g. no credentials (AuthFailed). */
        FAILED
    }

    /**
     * Checks the fields and copies the data.
     *
     * @param kind what the step is
     * @param data the bytes to send, empty for none
     * @param reason why it was rejected or failed, empty otherwise
     */
    public IceAuthStep {
        Objects.requireNonNull(kind, "kind");
        data = data.clone();
        reason = reason == null ? "" : reason;
    }

    /** @return a copy of the data */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * @param data the reply
     * @return an originator's reply
     */
    public static IceAuthStep reply(byte[] data) {
        return new IceAuthStep(Kind.REPLY, data, "");
    }

    /**
     * @param challenge the next challenge
     * @return an acceptor's request for another phase
     */
    public static IceAuthStep next(byte[] challenge) {
        return new IceAuthStep(Kind.CONTINUE, challenge, "");
    }

    /** @return an acceptor's acceptance */
    public static IceAuthStep accepted() {
        return new IceAuthStep(Kind.ACCEPTED, new byte[0], "");
    }

    /**
     * @param reason why
     * @return a rejection
     */
    public static IceAuthStep rejected(String reason) {
        return new IceAuthStep(Kind.REJECTED, new byte[0], reason);
    }

    /**
     * @param reason why
     * @return a failure
     */
    public static IceAuthStep failed(String reason) {
        return new IceAuthStep(Kind.FAILED, new byte[0], reason);
    }
}
