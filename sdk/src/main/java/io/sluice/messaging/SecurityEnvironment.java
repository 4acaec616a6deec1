package io.sluice.messaging;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;

/**
 * A TLS security environment as SOM defines it: a directory that may hold {@code ca.pem} (trusted
 * CA certificates, PEM) and {@code id.p12} (an identity: PKCS#12 with a private key and its
 * certificate chain, opened with a passphrase; trusted-certificate entries in it are trusted CAs
 * too). With trusted CAs the other side is verified; with an identity this side proves itself.
 *
 * <p>{@link #fromDirectory} reads and checks the files at once (blocking file I/O: call it while
 * setting up, not on an event loop). Immutable and thread-safe afterwards; the passphrase is not
 * kept.
 */
public final class SecurityEnvironment {

    private final Path directory;
    private final List<X509Certificate> trusted;
    private final KeyManagerFactory identity;
    private final X509Certificate identityCertificate;

    private SecurityEnvironment(Path directory, List<X509Certificate> trusted, KeyManagerFactory identity,
                                X509Certificate identityCertificate) {
        this.directory = directory;
        this.trusted = trusted;
        this.identity = identity;
        this.identityCertificate = identityCertificate;
    }

    /**
     * Reads a security-environment directory.
     *
     * @param directory holds {@code ca.pem} and/or {@code id.p12}
     * @param passphrase opens {@code id.p12}; may be null when there is none
     * @return the environment
     * @throws MessagingException {@link MessagingErrorCode#TLS_FAILED} when the directory is
     *     missing or empty, or a file cannot be read (a wrong passphrase, a malformed file)
     */
    public static SecurityEnvironment fromDirectory(Path directory, char[] passphrase) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "security environment " + directory + " is not a directory");
        }
        Path caFile = directory.resolve("ca.pem");
        Path idFile = directory.resolve("id.p12");
        List<X509Certificate> trusted = new ArrayList<>();
        KeyManagerFactory identity = null;
        X509Certificate identityCertificate = null;
        try {
            if (Files.isRegularFile(caFile)) {
                try (InputStream in = Files.newInputStream(caFile)) {
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trusted.add((X509Certificate) c);
                    }
                }
                if (trusted.isEmpty()) {
                    throw new MessagingException(MessagingErrorCode.TLS_FAILED, caFile + " holds no certificates");
                }
            }
            if (Files.isRegularFile(idFile)) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(idFile)) {
                    store.load(in, passphrase);
                }
                for (String alias : Collections.list(store.aliases())) {
                    if (store.isCertificateEntry(alias)) {
                        trusted.add((X509Certificate) store.getCertificate(alias));
                    } else if (store.isKeyEntry(alias) && identityCertificate == null) {
                        identityCertificate = (X509Certificate) store.getCertificate(alias);
                    }
                }
                if (identityCertificate == null) {
                    throw new MessagingException(MessagingErrorCode.TLS_FAILED, idFile + " holds no private key");
                }
                identity = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                identity.init(store, passphrase);
            }
        } catch (IOException | GeneralSecurityException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException || e.getMessage() != null
                    && e.getMessage().contains("password") ? "wrong passphrase or damaged file" : e.toString();
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "cannot read the security environment " + directory + ": " + why, e);
        }
        if (trusted.isEmpty() && identity == null) {
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "security environment " + directory
                    + " holds neither ca.pem nor id.p12");
        }
        return new SecurityEnvironment(directory, List.copyOf(trusted), identity, identityCertificate);
    }

    /** @return the directory read */
    public Path directory() {
        return directory;
    }

    /** @return the trusted CA certificates (from {@code ca.pem} and {@code id.p12}) */
    public List<X509Certificate> trustedCertificates() {
        return trusted;
    }

    /** @return whether the environment holds an identity */
    public boolean hasIdentity() {
        return identity != null;
    }

    /** @return the identity's certificate, or null */
    public X509Certificate identityCertificate() {
        return identityCertificate;
    }

    /** @return whether the other side will be verified (there are trusted CAs) */
    public boolean verifiesPeer() {
        return !trusted.isEmpty();
    }

    /** The client context: verifies the server (chain, validity, host name) when there are trusted CAs. */
    SslContext clientContext() {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
            if (trusted.isEmpty()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                b.trustManager(trusted).endpointIdentificationAlgorithm("HTTPS");
            }
            if (identity != null) {
                b.keyManager(identity);
            }
            return b.build();
        } catch (SSLException e) {
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "cannot make a TLS client context: " + e.getMessage(), e);
        }
    }

    /** The server context: needs an identity; asks for (but does not demand) client certificates when there are trusted CAs. */
    SslContext serverContext() {
        if (identity == null) {
            throw new IllegalArgumentException("a TLS server needs an identity: " + directory.resolve("id.p12") + " is missing");
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(identity).protocols("TLSv1.3", "TLSv1.2");
            if (!trusted.isEmpty()) {
                b.trustManager(trusted).clientAuth(ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (SSLException e) {
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "cannot make a TLS server context: " + e.getMessage(), e);
        }
    }

    /** A client context that verifies nothing, for {@code tlsWithoutVerification()}. */
    static SslContext unverifiedClientContext() {
        try {
            return SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        } catch (SSLException e) {
            throw new MessagingException(MessagingErrorCode.TLS_FAILED, "cannot make a TLS client context: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SecurityEnvironment[" + directory + ", " + trusted.size() + " trusted CAs"
                + (identityCertificate != null ? ", identity " + identityCertificate.getSubjectX500Principal() : "") + "]";
    }
}
