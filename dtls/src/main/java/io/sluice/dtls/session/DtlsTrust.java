package io.sluice.dtls.session;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The certificate authorities a peer's chain must lead to (PKIX path validation, no revocation
 * checking). Immutable.
 */
public final class DtlsTrust {

    private final List<X509Certificate> authorities;

    private DtlsTrust(List<X509Certificate> authorities) {
        if (authorities.isEmpty()) {
            throw new IllegalArgumentException("a trust set needs at least one certificate authority");
        }
        this.authorities = List.copyOf(authorities);
    }

    /**
     * Trusts the given authorities.
     *
     * @param authorities CA certificates
     * @return the trust set
     */
    public static DtlsTrust of(List<X509Certificate> authorities) {
        return new DtlsTrust(authorities);
    }

    /**
     * Trusts the authorities in a PEM file.
     *
     * @param pem one or more CA certificates
     * @return the trust set
     * @throws IOException if the file cannot be read or holds no certificate
     */
    public static DtlsTrust fromPem(Path pem) throws IOException {
        return new DtlsTrust(readCertificates(pem));
    }

    /**
     * The authorities.
     *
     * @return the CA certificates
     */
    public List<X509Certificate> authorities() {
        return authorities;
    }

    /** Validates a chain (leaf first); the message says what is wrong with it. */
    void validate(List<X509Certificate> chain) throws GeneralSecurityException {
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("the peer sent no certificate");
        }
        for (X509Certificate c : chain) {
            try {
                c.checkValidity();
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw new GeneralSecurityException("certificate " + c.getSubjectX500Principal().getName() + " is outside its validity ("
                        + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant() + ")", e);
            }
        }
        Set<TrustAnchor> anchors = authorities.stream().map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet());
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        List<X509Certificate> path = new ArrayList<>(chain);
        // A chain that includes its own root: the anchor itself is not part of the path.
        path.removeIf(authorities::contains);
        if (path.isEmpty()) {
            return;
        }
        try {
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("certificate " + chain.get(0).getSubjectX500Principal().getName()
                    + " is not trusted: " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> readCertificates(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException(pem + " holds no certificate");
            }
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("cannot read certificates from " + pem + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DtlsTrust[" + authorities.size() + " authorities]";
    }
}
