package io.sluice.fuzz;

import io.sluice.ice.IceFuzzTargets;
import io.sluice.messaging.MessagingFuzzTargets;

/**
 * The SDK's fuzz targets as the standalone fuzzer ({@code com.code_intelligence.jazzer.Jazzer})
 * takes them: one class per target with a static {@code fuzzerTestOneInput}.
 * {@code io.sluice.codec.fuzz.FuzzRun} finds them here ({@code fuzz.suite} in the sdk pom).
 */
public final class SdkFuzzTargets {

    private SdkFuzzTargets() {
    }

    /** {@link MessagingFuzzTargets#sessionProtocol}. */
    public static final class SessionProtocol {
        public static void fuzzerTestOneInput(byte[] data) {
            MessagingFuzzTargets.sessionProtocol(data);
        }
    }

    /** {@link MessagingFuzzTargets#sasl}. */
    public static final class Sasl {
        public static void fuzzerTestOneInput(byte[] data) {
            MessagingFuzzTargets.sasl(data);
        }
    }

    /** {@link IceFuzzTargets#iceAuthority}. */
    public static final class IceAuthority {
        public static void fuzzerTestOneInput(byte[] data) {
            IceFuzzTargets.iceAuthority(data);
        }
    }

    /** {@link IceFuzzTargets#iceAcceptor}. */
    public static final class IceAcceptor {
        public static void fuzzerTestOneInput(byte[] data) {
            IceFuzzTargets.iceAcceptor(data);
        }
    }
}
