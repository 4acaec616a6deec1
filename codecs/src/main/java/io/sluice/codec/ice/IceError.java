package io.sluice.codec.ice;

/**
 * ICE error classes and severities ({@code ICE.h}). Classes 0x8000–0x8003 apply to every protocol;
 * 0–8 are the ICE protocol's own.
 */
public final class IceError {

    /** The receiver can continue. */
    public static final int CAN_CONTINUE = 0;
    /** The protocol the message belongs to is shut down. */
    public static final int FATAL_TO_PROTOCOL = 1;
    /** The whole connection is closed. */
    public static final int FATAL_TO_CONNECTION = 2;

    /** An unknown minor opcode. */
    public static final int BAD_MINOR = 0x8000;
    /** A message not expected in the current state. */
    public static final int BAD_STATE = 0x8001;
    /** A length that does not fit the message. */
    public static final int BAD_LENGTH = 0x8002;
    /** A field value out of range. */
    public static final int BAD_VALUE = 0x8003;
    /** An unknown major opcode. */
    public static final int BAD_MAJOR = 0;
    /** None of the offered authentication protocols is supported. */
    public static final int NO_AUTH = 1;
    /** None of the offered versions is supported. */
    public static final int NO_VERSION = 2;
    /** The setup failed for another reason. */
    public static final int SETUP_FAILED = 3;
    /** Authentication was rejected. */
    public static final int AUTH_REJECTED = 4;
    /** Authentication failed. */
    public static final int AUTH_FAILED = 5;
    /** The protocol is already active on the connection. */
    public static final int PROTOCOL_DUPLICATE = 6;
    /** The major opcode is already in use on the connection. */
    public static final int MAJOR_OPCODE_DUPLICATE = 7;
    /** The protocol is not registered. */
    public static final int UNKNOWN_PROTOCOL = 8;

    private IceError() {
    }

    /**
     * @param errorClass an error class
     * @return its name, e.g. {@code BadLength}
     */
    public static String className(int errorClass) {
        return switch (errorClass) {
            case BAD_MINOR -> "BadMinor";
            case BAD_STATE -> "BadState";
            case BAD_LENGTH -> "BadLength";
            case BAD_VALUE -> "BadValue";
            case BAD_MAJOR -> "BadMajor";
            case NO_AUTH -> "NoAuthentication";
            case NO_VERSION -> "NoVersion";
            case SETUP_FAILED -> "SetupFailed";
            case AUTH_REJECTED -> "AuthenticationRejected";
            case AUTH_FAILED -> "AuthenticationFailed";
            case PROTOCOL_DUPLICATE -> "ProtocolDuplicate";
            case MAJOR_OPCODE_DUPLICATE -> "MajorOpcodeDuplicate";
            case UNKNOWN_PROTOCOL -> "UnknownProtocol";
            default -> "Error-0x" + Integer.toHexString(errorClass);
        };
    }

    /**
     * @param severity a severity
     * @return its name
     */
    public static String severityName(int severity) {
        return switch (severity) {
            case CAN_CONTINUE -> "CanContinue";
            case FATAL_TO_PROTOCOL -> "FatalToProtocol";
            case FATAL_TO_CONNECTION -> "FatalToConnection";
            default -> "Severity-" + severity;
        };
    }
}
