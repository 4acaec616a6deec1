package io.sluice.dtls.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.dtls.session.DtlsFuzzTargets;

/**
 * The DTLS module's fuzz targets under JUnit: each method replays its committed inputs under
 * {@code src/test/resources/io/sluice/dtls/fuzz/DtlsFuzzTestInputs/<method>/};
 * {@code io.sluice.codec.fuzz.FuzzRun} fuzzes them for real.
 */
class DtlsFuzzTest {

    @FuzzTest
    void recordFilter(byte[] data) {
        DtlsFuzzTargets.recordFilter(data);
    }

    @FuzzTest
    void pemIdentity(byte[] data) {
        DtlsFuzzTargets.pemIdentity(data);
    }

    @FuzzTest
    void pkcs12Identity(byte[] data) {
        DtlsFuzzTargets.pkcs12Identity(data);
    }
}
