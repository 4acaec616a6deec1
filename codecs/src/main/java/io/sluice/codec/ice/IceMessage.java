package io.sluice.codec.ice;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One ICE message. The ICE protocol's own messages (major opcode 0) are records named after the
 * specification; {@link Generic} carries any other protocol's message with its raw body.
 * Immutable: lists are copied, byte arrays are copied in and out.
 */
public sealed interface IceMessage {

    /** The ICE protocol's major opcode. */
    int ICE_MAJOR = 0;

    /** @return the major opcode */
    default int majorOpcode() {
        return ICE_MAJOR;
    }

    /** @return the minor opcode */
    int minorOpcode();

    /**
     * ByteOrder (minor 1): the first message each side sends.
     *
     * @param order the sender's byte order
     */
    record ByteOrderMessage(ByteOrder order) implements IceMessage {
        /** @param order the byte order */
        public ByteOrderMessage {
            Objects.requireNonNull(order, "order");
        }

        @Override
        public int minorOpcode() {
            return 1;
        }
    }

    /**
     * ConnectionSetup (minor 2), from the originator.
     *
     * @param mustAuthenticate whether the originator insists on authentication
     * @param vendor the originator's ICE vendor
     * @param release the originator's ICE release
     * @param authNames the authentication protocols offered, in preference order
     * @param versions the ICE versions offered, in preference order
     */
    record ConnectionSetup(boolean mustAuthenticate, String vendor, String release, List<String> authNames,
            List<IceVersion> versions) implements IceMessage {
        /**
         * Copies the lists.
         *
         * @param mustAuthenticate whether the originator insists on authentication
         * @param vendor the originator's ICE vendor
         * @param release the originator's ICE release
         * @param authNames the authentication protocols offered, in preference order
         * @param versions the ICE versions offered, in preference order
         */
        public ConnectionSetup {
            authNames = List.copyOf(authNames);
            versions = List.copyOf(versions);
        }

        @Override
        public int minorOpcode() {
            return 2;
        }
    }

    /**
     * AuthRequired (minor 3), from the acceptor.
     *
     * @param authIndex which offered authentication protocol is used
     * @param data the authentication data; copied
     */
    record AuthRequired(int authIndex, byte[] data) implements IceMessage {
        /**
         * Copies the data.
         *
         * @param authIndex which offered authentication protocol is used
         * @param data the authentication data; copied
         */
        public AuthRequired {
            data = data.clone();
        }

        /** @return a copy of the data */

        @Override

        public byte[] data() {
            return data.clone();
        }

        @Override
        public int minorOpcode() {
            return 3;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AuthRequired a && a.authIndex == authIndex && Arrays.equals(a.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * authIndex + Arrays.hashCode(data);
        }
    }

    /**
     * AuthReply (minor 4), from the originator.
     *
     * @param data the authentication data; copied
     */
    record AuthReply(byte[] data) implements IceMessage {
        /**
         * Copies the data.
         *
         * @param data the authentication data; copied
         */
        public AuthReply {
            data = data.clone();
        }

        /** @return a copy of the data */

        @Override

        public byte[] data() {
            return data.clone();
        }

        @Override
        public int minorOpcode() {
            return 4;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AuthReply a && Arrays.equals(a.data, data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }
    }

    /**
     * AuthNextPhase (minor 5), from the acceptor.
     *
     * @param data the authentication data; copied
     */
    record AuthNextPhase(byte[] data) implements IceMessage {
        /**
         * Copies the data.
         *
         * @param data the authentication data; copied
         */
        public AuthNextPhase {
            data = data.clone();
        }

        /** @return a copy of the data */

        @Override

        public byte[] data() {
            return data.clone();
        }

        @Override
        public int minorOpcode() {
            return 5;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AuthNextPhase a && Arrays.equals(a.data, data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }
    }

    /**
     * ConnectionReply (minor 6), from the acceptor.
     *
     * @param versionIndex the chosen entry of the originator's version list
     * @param vendor the acceptor's ICE vendor
     * @param release the acceptor's ICE release
     */
    record ConnectionReply(int versionIndex, String vendor, String release) implements IceMessage {
        @Override
        public int minorOpcode() {
            return 6;
        }
    }

    /**
     * ProtocolSetup (minor 7).
     *
     * @param protocolOpcode the major opcode the sender will use for the protocol
     * @param mustAuthenticate whether the sender insists on authentication
     * @param protocolName the protocol's name, e.g. {@code XSMP}
     * @param vendor the protocol library's vendor
     * @param release the protocol library's release
     * @param authNames the authentication protocols offered
     * @param versions the protocol versions offered
     */
    record ProtocolSetup(int protocolOpcode, boolean mustAuthenticate, String protocolName, String vendor, String release,
            List<String> authNames, List<IceVersion> versions) implements IceMessage {
        /**
         * Copies the lists.
         *
         * @param protocolOpcode the major opcode the sender will use for the protocol
         * @param mustAuthenticate whether the sender insists on authentication
         * @param protocolName the protocol's name, e.g. {@code XSMP}
         * @param vendor the protocol library's vendor
         * @param release the protocol library's release
         * @param authNames the authentication protocols offered
         * @param versions the protocol versions offered
         */
        public ProtocolSetup {
            authNames = List.copyOf(authNames);
            versions = List.copyOf(versions);
        }

        @Override
        public int minorOpcode() {
            return 7;
        }
    }

    /**
     * ProtocolReply (minor 8).
     *
     * @param versionIndex the chosen entry of the setup's version list
     * @param protocolOpcode the major opcode the replier will use for the protocol
     * @param vendor the replier's protocol vendor
     * @param release the replier's protocol release
     */
    record ProtocolReply(int versionIndex, int protocolOpcode, String vendor, String release) implements IceMessage {
        @Override
        public int minorOpcode() {
            return 8;
        }
    }

    /** Ping (minor 9). */
    record Ping() implements IceMessage {
        @Override
        public int minorOpcode() {
            return 9;
        }
    }

    /** PingReply (minor 10). */
    record PingReply() implements IceMessage {
        @Override
        public int minorOpcode() {
            return 10;
        }
    }

    /** WantToClose (minor 11). */
    record WantToClose() implements IceMessage {
        @Override
        public int minorOpcode() {
            return 11;
        }
    }

    /** NoClose (minor 12). */
    record NoClose() implements IceMessage {
        @Override
        public int minorOpcode() {
            return 12;
        }
    }

    /**
     * Error (minor 0 of the offending message's protocol).
     *
     * @param majorOpcode the offending message's major opcode
     * @param offendingMinorOpcode the offending message's minor opcode
     * @param severity {@link IceError#CAN_CONTINUE}, {@link IceError#FATAL_TO_PROTOCOL} or {@link IceError#FATAL_TO_CONNECTION}
     * @param errorClass the error class
     * @param offendingSequenceNumber the offending message's sequence number
     * @param values the class-specific values; copied
     */
    record Error(int majorOpcode, int offendingMinorOpcode, int severity, int errorClass, long offendingSequenceNumber,
            byte[] values) implements IceMessage {
        /**
         * Copies the values.
         *
         * @param majorOpcode the offending message's major opcode
         * @param offendingMinorOpcode the offending message's minor opcode
         * @param severity {@link IceError#CAN_CONTINUE}, {@link IceError#FATAL_TO_PROTOCOL} or {@link IceError#FATAL_TO_CONNECTION}
         * @param errorClass the error class
         * @param offendingSequenceNumber the offending message's sequence number
         * @param values the class-specific values; copied
         */
        public Error {
            values = values.clone();
        }

        /** @return a copy of the error values */

        @Override

        public byte[] values() {
            return values.clone();
        }

        @Override
        public int minorOpcode() {
            return 0;
        }

        /** @return the values read as one STRING (the text that several error classes carry), or empty */
        public String valueText() {
            if (values.length < 2) {
                return "";
            }
            int n = Math.min(values.length - 2, ((values[0] & 0xFF) << 8 | (values[1] & 0xFF)));
            return new String(values, 2, Math.max(0, n), StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Error e && e.majorOpcode == majorOpcode && e.offendingMinorOpcode == offendingMinorOpcode
                    && e.severity == severity && e.errorClass == errorClass && e.offendingSequenceNumber == offendingSequenceNumber
                    && Arrays.equals(e.values, values);
        }

        @Override
        public int hashCode() {
            return Objects.hash(majorOpcode, offendingMinorOpcode, severity, errorClass, offendingSequenceNumber) * 31
                    + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Error[" + IceError.className(errorClass) + ", " + IceError.severityName(severity) + ", offending "
                    + majorOpcode + "/" + offendingMinorOpcode + " #" + offendingSequenceNumber + ", " + values.length + " value bytes]";
        }
    }

    /**
     * Another protocol's message: its header fields and the bytes after the header (padding included).
     *
     * @param majorOpcode the protocol's major opcode on this connection, 1–255
     * @param minorOpcode the message type within the protocol
     * @param data0 the first header data byte
     * @param data1 the second header data byte
     * @param body the bytes after the header, a multiple of 8; copied
     */
    record Generic(int majorOpcode, int minorOpcode, int data0, int data1, byte[] body) implements IceMessage {
        /**
         * Checks the opcode and the body length, copies the body.
         *
         * @param majorOpcode the protocol's major opcode on this connection, 1–255
         * @param minorOpcode the message type within the protocol
         * @param data0 the first header data byte
         * @param data1 the second header data byte
         * @param body the bytes after the header, a multiple of 8; copied
         */
        public Generic {
            if (majorOpcode < 1 || majorOpcode > 255) {
                throw new IllegalArgumentException("a protocol's major opcode is 1-255, got " + majorOpcode);
            }
            if (body.length % 8 != 0) {
                throw new IllegalArgumentException("a message body is a multiple of 8 bytes, got " + body.length);
            }
            body = body.clone();
        }

        /** @return a copy of the body */

        @Override

        public byte[] body() {
            return body.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Generic g && g.majorOpcode == majorOpcode && g.minorOpcode == minorOpcode && g.data0 == data0
                    && g.data1 == data1 && Arrays.equals(g.body, body);
        }

        @Override
        public int hashCode() {
            return Objects.hash(majorOpcode, minorOpcode, data0, data1) * 31 + Arrays.hashCode(body);
        }
    }
}
