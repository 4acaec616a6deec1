package io.sluice.messaging.sasl;

/** What the server answers to one client message: another challenge, or success. Failure is an error signal. */
public sealed interface SaslStep {

    /**
     * The exchange goes on; the client answers this challenge.
     *
     * @param data the challenge
     */
    record Challenge(byte[] data) implements SaslStep {
    }

    /**
     * Authenticated.
     *
     * @param who the outcome
     * @param additionalData the mechanism's last server message (SCRAM's server signature), or empty
     */
    record Success(Authenticated who, byte[] additionalData) implements SaslStep {
    }
}
