package io.sluice.dtls.fuzz;

/**
 * The DTLS module's fuzz targets as the standalone fuzzer takes them: one class per target with a
 * static {@code fuzzerTestOneInput}. {@code io.sluice.codec.fuzz.FuzzRun} finds them here
 * ({@code fuzz.suite} in the dtls pom).
 */
public final class DtlsFuzzTargets {

    private DtlsFuzzTargets() {
    }

    /** {@link io.sluice.dtls.session.DtlsFuzzTargets#recordFilter}. */
    public static final class RecordFilter {
        public static void fuzzerTestOneInput(byte[] data) {
            io.sluice.dtls.session.DtlsFuzzTargets.recordFilter(data);
        }
    }

    /** {@link io.sluice.dtls.session.DtlsFuzzTargets#pemIdentity}. */
    public static final class PemIdentity {
        public static void fuzzerTestOneInput(byte[] data) {
            io.sluice.dtls.session.DtlsFuzzTargets.pemIdentity(data);
        }
    }

    /** {@link io.sluice.dtls.session.DtlsFuzzTargets#pkcs12Identity}. */
    public static final class Pkcs12Identity {
        public static void fuzzerTestOneInput(byte[] data) {
            io.sluice.dtls.session.DtlsFuzzTargets.pkcs12Identity(data);
        }
    }
}
