package io.sluice.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The fuzz targets under JUnit. Without {@code JAZZER_FUZZ} set (as in {@code mvn verify}) each
 * method replays its committed inputs under {@code src/test/resources/io/sluice/codec/fuzz/CodecFuzzTestInputs/<method>/}
 * (regression cases for every finding, and seeds); {@link FuzzRun} fuzzes them for real.
 */
class CodecFuzzTest {

    @FuzzTest
    void coapUdp(byte[] data) {
        WireFuzzTargets.coapUdp(data);
    }

    @FuzzTest
    void coapTcp(byte[] data) {
        WireFuzzTargets.coapTcp(data);
    }

    @FuzzTest
    void coapWebSocket(byte[] data) {
        WireFuzzTargets.coapWebSocket(data);
    }

    @FuzzTest
    void coreLinkFormat(byte[] data) {
        WireFuzzTargets.coreLinkFormat(data);
    }

    @FuzzTest
    void iceFrame(byte[] data) {
        WireFuzzTargets.iceFrame(data);
    }

    @FuzzTest
    void callFrame(byte[] data) {
        WireFuzzTargets.callFrame(data);
    }

    @FuzzTest
    void streamFramer(byte[] data) {
        WireFuzzTargets.streamFramer(data);
    }

    @FuzzTest
    void fields(byte[] data) {
        WireFuzzTargets.fields(data);
    }

    @FuzzTest
    void packetClassifier(byte[] data) {
        WireFuzzTargets.packetClassifier(data);
    }
}
