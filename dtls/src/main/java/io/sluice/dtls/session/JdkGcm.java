package io.sluice.dtls.session;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipherImpl;

/**
 * AES-GCM for one direction of a session's records, on the JDK's cipher with a
 * {@link GCMParameterSpec} per record. BouncyCastle's own JCA adapter builds an
 * {@code AlgorithmParameters} per record (a provider lookup and an ASN.1 encoding each time), which
 * a profile of the 64-byte echo put at about a tenth of the event loop's time.
 *
 * <p>Not thread-safe: one per direction, used under the record layer's read or write serialization.
 */
final class JdkGcm implements TlsAEADCipherImpl {

    private final Cipher cipher;
    private final int mode;
    private final SecureRandom random;
    private SecretKeySpec key;

    JdkGcm(Cipher cipher, boolean encrypt, SecureRandom random) {
        this.cipher = cipher;
        this.mode = encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE;
        // GCM draws nothing from it; passing one keeps the JCE from making its default on first use.
        this.random = random;
    }

    @Override
    public void setKey(byte[] bytes, int offset, int length) {
        key = new SecretKeySpec(bytes, offset, length, "AES");
    }

    @Override
    public void init(byte[] nonce, int macSize) throws IOException {
        try {
            cipher.init(mode, key, new GCMParameterSpec(macSize * 8, nonce), random);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM could not be initialised for a record: " + e.getMessage(), e);
        }
    }

    @Override
    public int getOutputSize(int inputLength) {
        return cipher.getOutputSize(inputLength);
    }

    @Override
    public int doFinal(byte[] additionalData, byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset)
            throws IOException {
        try {
            if (additionalData != null && additionalData.length > 0) {
                cipher.updateAAD(additionalData);
            }
            return cipher.doFinal(input, inputOffset, inputLength, output, outputOffset);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac, e);
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM failed on a record: " + e.getMessage(), e);
        }
    }
}
