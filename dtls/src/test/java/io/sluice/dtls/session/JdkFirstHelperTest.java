package io.sluice.dtls.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

/** Which provider serves which of the handshake's and records' algorithms, and that keys cross between them. */
class JdkFirstHelperTest {

    private final JdkFirstHelper helper = new JdkFirstHelper();

    @Test
    void curvesComeFromBouncyCastleAndAesGcmFromTheJdk() throws Exception {
        assertThat(helper.createSignature("SHA256withECDSA").getProvider().getName()).isEqualTo("BC");
        assertThat(helper.createKeyAgreement("X25519").getProvider().getName()).isEqualTo("BC");
        assertThat(helper.createKeyAgreement("ECDH").getProvider().getName()).isEqualTo("BC");
        assertThat(helper.createKeyPairGenerator("EC").getProvider().getName()).isEqualTo("BC");
        assertThat(helper.createCipher("AES/GCM/NoPadding").getProvider().getName()).isEqualTo("SunJCE");
        assertThat(helper.createSignature("SHA256withRSA").getProvider().getName()).isNotEqualTo("BC");
    }

    @Test
    void aJdkKeySignsWithBouncyCastleAndTheJdkVerifies() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair jdkKeys = generator.generateKeyPair();
        byte[] message = "server key exchange".getBytes(StandardCharsets.US_ASCII);
        Signature bcSigner = helper.createSignature("SHA256withECDSA");
        bcSigner.initSign(jdkKeys.getPrivate());
        bcSigner.update(message);
        byte[] signature = bcSigner.sign();
        Signature jdkVerifier = Signature.getInstance("SHA256withECDSA");
        jdkVerifier.initVerify(jdkKeys.getPublic());
        jdkVerifier.update(message);
        assertThat(jdkVerifier.verify(signature)).isTrue();
    }
}
