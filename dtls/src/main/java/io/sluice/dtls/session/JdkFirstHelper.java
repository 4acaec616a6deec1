package io.sluice.dtls.session;

import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.ProviderJcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Finds each algorithm in the JDK's installed providers first and in a private BouncyCastle
 * provider only when the JDK lacks it (AES-CCM, and ChaCha20-Poly1305 in the form BouncyCastle's
 * TLS asks for). The JDK's AES-GCM runs on the CPU's AES and carry-less-multiply instructions,
 * several times faster per record than BouncyCastle's portable Java code.
 *
 * <p>Elliptic curves are the other way round: ECDSA, ECDH and X25519/X448 come from BouncyCastle
 * first. On JDK 17 the JDK's are portable Java too, and much slower than BouncyCastle's
 * (measured here: P-256 ECDSA sign 580 µs against 120 µs, verify 1,050 against 125, X25519 key
 * pair 160 against 80, agreement 155 against 85); they were most of a handshake's CPU. Keys made
 * by the JDK (a server's identity, a certificate's public key) work with BouncyCastle's engines.
 *
 * <p>Nothing is installed into the JVM-wide provider list. Only the lookups BouncyCastle's TLS
 * crypto makes for protocol algorithms go through here; the rest stay with the JDK.
 */
final class JdkFirstHelper extends DefaultJcaJceHelper {

    private final BouncyCastleProvider bcProvider = new BouncyCastleProvider();
    private final ProviderJcaJceHelper bc = new ProviderJcaJceHelper(bcProvider);
    /**
     * The provider found for each cipher algorithm. A {@code Cipher} made without naming its
     * provider keeps the candidate list for a provider chosen late (at its first init), several
     * hundred bytes per instance; every established session holds two, so the second and later
     * ones are made from the provider found the first time.
     */
    private final java.util.Map<String, java.security.Provider> cipherProviders = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public Cipher createCipher(String algorithm) throws NoSuchAlgorithmException, NoSuchPaddingException {
        java.security.Provider known = cipherProviders.get(algorithm);
        if (known != null) {
            return Cipher.getInstance(algorithm, known);
        }
        Cipher c;
        try {
            c = super.createCipher(algorithm);
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            c = bc.createCipher(algorithm);
        }
        cipherProviders.putIfAbsent(algorithm, c.getProvider());
        return c;
    }

    /** Whether BouncyCastle's engine is the faster for this elliptic-curve algorithm (see the class comment). */
    static boolean curveFirst(String algorithm) {
        String a = algorithm.toUpperCase(java.util.Locale.ROOT);
        return a.endsWith("ECDSA") || a.equals("EC") || a.equals("ECDH") || a.equals("X25519") || a.equals("X448") || a.equals("XDH");
    }

    @Override
    public Mac createMac(String algorithm) throws NoSuchAlgorithmException {
        try {
            return super.createMac(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createMac(algorithm);
        }
    }

    @Override
    public KeyAgreement createKeyAgreement(String algorithm) throws NoSuchAlgorithmException {
        if (curveFirst(algorithm)) {
            try {
                return bc.createKeyAgreement(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return super.createKeyAgreement(algorithm);
            }
        }
        try {
            return super.createKeyAgreement(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createKeyAgreement(algorithm);
        }
    }

    @Override
    public AlgorithmParameters createAlgorithmParameters(String algorithm) throws NoSuchAlgorithmException {
        try {
            return super.createAlgorithmParameters(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createAlgorithmParameters(algorithm);
        }
    }

    @Override
    public KeyFactory createKeyFactory(String algorithm) throws NoSuchAlgorithmException {
        if (curveFirst(algorithm)) {
            try {
                return bc.createKeyFactory(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return super.createKeyFactory(algorithm);
            }
        }
        try {
            return super.createKeyFactory(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createKeyFactory(algorithm);
        }
    }

    @Override
    public KeyPairGenerator createKeyPairGenerator(String algorithm) throws NoSuchAlgorithmException {
        if (curveFirst(algorithm)) {
            try {
                return bc.createKeyPairGenerator(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return super.createKeyPairGenerator(algorithm);
            }
        }
        try {
            return super.createKeyPairGenerator(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createKeyPairGenerator(algorithm);
        }
    }

    @Override
    public Signature createSignature(String algorithm) throws NoSuchAlgorithmException {
        if (curveFirst(algorithm)) {
            try {
                return bc.createSignature(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return super.createSignature(algorithm);
            }
        }
        try {
            return super.createSignature(algorithm);
        } catch (NoSuchAlgorithmException e) {
            return bc.createSignature(algorithm);
        }
    }
}
