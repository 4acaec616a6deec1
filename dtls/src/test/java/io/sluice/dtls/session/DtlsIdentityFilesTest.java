package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Identities from files: what loads, and that a damaged file is an {@link IOException} with its name. */
class DtlsIdentityFilesTest {

    private static final String INPUTS = "/io/sluice/dtls/fuzz/DtlsFuzzTestInputs/";

    @TempDir
    Path dir;

    /** A seed of the pemIdentity fuzz target: chain PEM, a NUL, key PEM. */
    private Path[] pem(String seed) throws IOException {
        byte[] all;
        try (InputStream in = getClass().getResourceAsStream(INPUTS + "pemIdentity/" + seed)) {
            all = in.readAllBytes();
        }
        int nul = 0;
        while (all[nul] != 0) {
            nul++;
        }
        Path chain = Files.write(dir.resolve("chain.pem"), java.util.Arrays.copyOfRange(all, 0, nul));
        Path key = Files.write(dir.resolve("key.pem"), java.util.Arrays.copyOfRange(all, nul + 1, all.length));
        return new Path[] {chain, key};
    }

    @Test
    void pkcs8Sec1AndPkcs1KeysLoadWithTheirChains() throws IOException {
        for (String seed : new String[] {"seed-ec.key", "seed-ec-sec1.key", "seed-rsa-pkcs1"}) {
            Path[] files = pem(seed);
            assertThat(DtlsIdentity.fromPem(files[0], files[1]).chain()).hasSize(1);
        }
    }

    @Test
    void aKeyPemWithInvalidBase64IsAnIoExceptionNamingTheFile() throws IOException {
        // Found by the pemIdentity fuzz target: BouncyCastle's DecoderException (unchecked) escaped.
        Path[] files = pem("seed-ec.key");
        Files.writeString(files[1], "-----BEGIN PRIVATE KEY-----\nMIGH*AgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> DtlsIdentity.fromPem(files[0], files[1]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(files[1].toString());
    }

    @Test
    void aPkcs12FileLoadsWithItsPassphraseAndIsRefusedWithAnother() throws IOException {
        Path p12 = dir.resolve("id.p12");
        try (InputStream in = getClass().getResourceAsStream(INPUTS + "pkcs12Identity/seed-ec.p12")) {
            Files.write(p12, in.readAllBytes());
        }
        assertThat(DtlsIdentity.fromPkcs12(p12, "fuzz".toCharArray()).chain()).hasSize(1);
        assertThatThrownBy(() -> DtlsIdentity.fromPkcs12(p12, "wrong".toCharArray())).isInstanceOf(IOException.class);
    }
}
