package io.sluice.codec.fuzz;

/**
 * The fuzz targets as the standalone fuzzer ({@code com.code_intelligence.jazzer.Jazzer}) takes them:
 * one class per target with a static {@code fuzzerTestOneInput}. {@link FuzzRun} names them.
 */
public final class FuzzTargets {

    private FuzzTargets() {
    }

    /** {@link WireFuzzTargets#coapUdp}. */
    public static final class CoapUdp {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.coapUdp(data);
        }
    }

    /** {@link WireFuzzTargets#coapTcp}. */
    public static final class CoapTcp {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.coapTcp(data);
        }
    }

    /** {@link WireFuzzTargets#coapWebSocket}. */
    public static final class CoapWebSocket {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.coapWebSocket(data);
        }
    }

    /** {@link WireFuzzTargets#iceFrame}. */
    public static final class IceFrame {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.iceFrame(data);
        }
    }

    /** {@link WireFuzzTargets#callFrame}. */
    public static final class CallFrame {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.callFrame(data);
        }
    }

    /** {@link WireFuzzTargets#streamFramer}. */
    public static final class StreamFramer {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.streamFramer(data);
        }
    }

    /** {@link WireFuzzTargets#coreLinkFormat}. */
    public static final class CoreLinkFormat {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.coreLinkFormat(data);
        }
    }

    /** {@link WireFuzzTargets#fields}. */
    public static final class Fields {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.fields(data);
        }
    }

    /** {@link WireFuzzTargets#packetClassifier}. */
    public static final class PacketClassifier {
        public static void fuzzerTestOneInput(byte[] data) {
            WireFuzzTargets.packetClassifier(data);
        }
    }
}
