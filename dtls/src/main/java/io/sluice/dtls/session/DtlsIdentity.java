package io.sluice.dtls.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A private key and its certificate chain (leaf first): what a DTLS server presents, or a client
 * when asked for client authentication. ECDSA and RSA keys. Immutable.
 */
public final class DtlsIdentity {

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    private DtlsIdentity(PrivateKey key, List<X509Certificate> chain) {
        if (!(key instanceof ECPrivateKey) && !(key instanceof RSAPrivateKey)) {
            throw new IllegalArgumentException("a DTLS identity key must be ECDSA or RSA, got " + key.getAlgorithm());
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a DTLS identity needs at least its own certificate");
        }
        this.key = key;
        this.chain = List.copyOf(chain);
    }

    /**
     * An identity from a key and its chain.
     *
     * @param key the private key (EC or RSA)
     * @param chain the certificates, leaf first
     * @return the identity
     */
    public static DtlsIdentity of(PrivateKey key, List<X509Certificate> chain) {
        return new DtlsIdentity(Objects.requireNonNull(key, "key"), Objects.requireNonNull(chain, "chain"));
    }

    /**
     * An identity from a PKCS#12 file holding one key entry.
     *
     * @param file the .p12 file
     * @param passphrase its passphrase
     * @return the identity
     * @throws IOException if the file cannot be read or holds no key
     */
    public static DtlsIdentity fromPkcs12(Path file, char[] passphrase) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, passphrase);
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    PrivateKey key = (PrivateKey) store.getKey(alias, passphrase);
                    List<X509Certificate> chain = new ArrayList<>();
                    for (Certificate c : store.getCertificateChain(alias)) {
                        chain.add((X509Certificate) c);
                    }
                    return new DtlsIdentity(key, chain);
                }
            }
            throw new IOException(file + " holds no private key entry");
        } catch (GeneralSecurityException | RuntimeException e) {
            // RuntimeException: the JDK's parser lets some malformed structures through unchecked.
            throw new IOException("cannot read the PKCS#12 file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * An identity from PEM files: the chain (leaf first) and the private key (PKCS#8, or SEC1/PKCS#1
     * "EC PRIVATE KEY"/"RSA PRIVATE KEY"), unencrypted.
     *
     * @param certificates the certificate chain PEM
     * @param privateKey the key PEM
     * @return the identity
     * @throws IOException if a file cannot be read or parsed
     */
    public static DtlsIdentity fromPem(Path certificates, Path privateKey) throws IOException {
        List<X509Certificate> chain = DtlsTrust.readCertificates(certificates);
        try (Reader r = Files.newBufferedReader(privateKey, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            PrivateKey key;
            if (o instanceof PEMKeyPair pair) {
                key = converter.getPrivateKey(pair.getPrivateKeyInfo());
            } else if (o instanceof PrivateKeyInfo info) {
                key = converter.getPrivateKey(info);
            } else {
                throw new IOException(privateKey + " holds no unencrypted private key (found "
                        + (o == null ? "nothing" : o.getClass().getSimpleName()) + ")");
            }
            return new DtlsIdentity(key, chain);
        } catch (RuntimeException e) {
            // BouncyCastle's PEM reader fails on bad base64 or ASN.1 with unchecked exceptions.
            throw new IOException("cannot read a private key from " + privateKey + ": " + e.getMessage(), e);
        }
    }

    PrivateKey key() {
        return key;
    }

    /**
     * The certificate chain, leaf first.
     *
     * @return the chain
     */
    public List<X509Certificate> chain() {
        return chain;
    }

    boolean isEc() {
        return key instanceof ECPrivateKey;
    }

    @Override
    public String toString() {
        return "DtlsIdentity[" + chain.get(0).getSubjectX500Principal().getName() + ", " + key.getAlgorithm() + "]";
    }

    static X509Certificate parse(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
    }
}
