package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.ice.IceFuzzTargets;
import io.sluice.messaging.MessagingFuzzTargets;

/**
 * The SDK's fuzz targets under JUnit: each method replays its committed inputs under
 * {@code src/test/resources/io/sluice/fuzz/SdkFuzzTestInputs/<method>/} (seeds, and a regression
 * case for every finding); {@code io.sluice.codec.fuzz.FuzzRun} fuzzes them for real.
 */
class SdkFuzzTest {

    @FuzzTest
    void sessionProtocol(byte[] data) {
        MessagingFuzzTargets.sessionProtocol(data);
    }

    @FuzzTest
    void sasl(byte[] data) {
        MessagingFuzzTargets.sasl(data);
    }

    @FuzzTest
    void iceAuthority(byte[] data) {
        IceFuzzTargets.iceAuthority(data);
    }

    @FuzzTest
    void iceAcceptor(byte[] data) {
        IceFuzzTargets.iceAcceptor(data);
    }
}
