package io.sluice.dtls.session;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Vector;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import java.util.Hashtable;
import java.util.List;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsPSKIdentityManager;

/** BouncyCastle peers set up the Sluice way: DTLS 1.2 only, Sluice's suites, our handshake timeout. */
final class Peers {

    private Peers() {
    }

    /** A BouncyCastle peer whose handshake outcome can be read once it completes. */
    interface Sluice {
        HandshakeState state();
    }

    static final class PskClient extends PSKTlsClient implements Sluice {
        private final HandshakeState state;

        PskClient(byte[] identity, byte[] key, HandshakeState state) {
            super(DtlsRuntime.CRYPTO, new org.bouncycastle.tls.BasicTlsPSKIdentity(identity, key) {
                @Override
                public void notifyIdentityHint(byte[] psk_identity_hint) {
                    state.pskHint = psk_identity_hint == null ? null : psk_identity_hint.clone();
                }
            });
            this.state = state;
            state.pskKey = key.clone();
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.completed(context);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return state.cipherSuites();
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return state.timeoutMillis;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Hashtable getClientExtensions() throws IOException {
            return state.srtp.offer(super.getClientExtensions());
        }

        @Override
        public void processServerExtensions(Hashtable serverExtensions) throws IOException {
            super.processServerExtensions(serverExtensions);
            state.srtp.serverChose(serverExtensions);
        }

        @Override
        protected byte[] getNewConnectionID() {
            return state.connectionId();
        }

        @Override
        public HandshakeState state() {
            return state;
        }
    }

    static final class PskServer extends PSKTlsServer implements Sluice {
        private final HandshakeState state;

        PskServer(TlsPSKIdentityManager identities, HandshakeState state) {
            super(DtlsRuntime.CRYPTO, identities);
            this.state = state;
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.completed(context);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return state.cipherSuites();
        }

        /** The server's order decides, so a server spec's list really is its order of preference. */
        @Override
        protected boolean preferLocalCipherSuites() {
            return true;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return state.timeoutMillis;
        }

        @Override
        public void processClientExtensions(Hashtable clientExtensions) throws IOException {
            super.processClientExtensions(clientExtensions);
            state.srtp.clientOffered(clientExtensions);
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Hashtable getServerExtensions() throws IOException {
            return state.srtp.answer(super.getServerExtensions());
        }

        @Override
        protected byte[] getNewConnectionID() {
            return state.connectionId();
        }

        @Override
        public HandshakeState state() {
            return state;
        }
    }

    /** BouncyCastle's form of an identity's chain. */
    static Certificate tlsChain(DtlsIdentity identity) throws IOException {
        TlsCertificate[] certs = new TlsCertificate[identity.chain().size()];
        for (int i = 0; i < certs.length; i++) {
            try {
                certs[i] = DtlsRuntime.CRYPTO.createCertificate(identity.chain().get(i).getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IOException(e);
            }
        }
        return new Certificate(certs);
    }

    static TlsCredentialedSigner signer(TlsContext context, DtlsIdentity identity, Vector<?> peerSigAlgs) throws IOException {
        short algorithm = identity.isEc() ? SignatureAlgorithm.ecdsa : SignatureAlgorithm.rsa;
        @SuppressWarnings("unchecked")
        SignatureAndHashAlgorithm chosen = TlsUtils.chooseSignatureAndHashAlgorithm(context, (Vector<SignatureAndHashAlgorithm>) peerSigAlgs,
                algorithm);
        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), (JcaTlsCrypto) DtlsRuntime.CRYPTO,
                identity.key(), tlsChain(identity), chosen);
    }

    /** Validates the peer's chain against the trust set, raising bad_certificate with the reason. */
    static void verify(Certificate chain, DtlsTrust trust) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            for (int i = 0; i < chain.getLength(); i++) {
                certs.add(DtlsIdentity.parse(chain.getCertificateAt(i).getEncoded()));
            }
            trust.validate(certs);
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, e.getMessage(), e);
        }
    }

    static final class CertClient extends DefaultTlsClient implements Sluice {
        private final DtlsTrust trust;
        private final DtlsIdentity identity;
        private final HandshakeState state;

        CertClient(DtlsTrust trust, DtlsIdentity identity, HandshakeState state) {
            super(DtlsRuntime.CRYPTO);
            this.trust = trust;
            this.identity = identity;
            this.state = state;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return state.cipherSuites();
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return state.timeoutMillis;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    verify(serverCertificate.getCertificate(), trust);
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    return identity == null ? null : signer(context, identity, request.getSupportedSignatureAlgorithms());
                }
            };
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.completed(context);
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Hashtable getClientExtensions() throws IOException {
            return state.srtp.offer(super.getClientExtensions());
        }

        @Override
        public void processServerExtensions(Hashtable serverExtensions) throws IOException {
            super.processServerExtensions(serverExtensions);
            state.srtp.serverChose(serverExtensions);
        }

        @Override
        protected byte[] getNewConnectionID() {
            return state.connectionId();
        }

        @Override
        public HandshakeState state() {
            return state;
        }
    }

    static final class CertServer extends DefaultTlsServer implements Sluice {
        private final DtlsIdentity identity;
        private final ClientAuth clientAuth;
        private final DtlsTrust trust;
        private final HandshakeState state;

        CertServer(DtlsIdentity identity, ClientAuth clientAuth, DtlsTrust trust, HandshakeState state) {
            super(DtlsRuntime.CRYPTO);
            this.identity = identity;
            this.clientAuth = clientAuth;
            this.trust = trust;
            this.state = state;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            // The spec kept only the suites the identity's key can serve.
            return state.cipherSuites();
        }

        /** The server's order decides, so a server spec's list really is its order of preference. */
        @Override
        protected boolean preferLocalCipherSuites() {
            return true;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return state.timeoutMillis;
        }

        @Override
        protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
            return identity.isEc() ? signer(context, identity, context.getSecurityParametersHandshake().getClientSigAlgs()) : null;
        }

        @Override
        protected TlsCredentialedSigner getRSASignerCredentials() throws IOException {
            return identity.isEc() ? null : signer(context, identity, context.getSecurityParametersHandshake().getClientSigAlgs());
        }

        @Override
        public CertificateRequest getCertificateRequest() {
            if (clientAuth == ClientAuth.NONE) {
                return null;
            }
            Vector<X500Name> authorities = new Vector<>();
            for (X509Certificate ca : trust.authorities()) {
                authorities.add(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()));
            }
            return new CertificateRequest(new short[] {ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign},
                    TlsUtils.getDefaultSupportedSignatureAlgorithms(context), authorities);
        }

        @Override
        public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
            if (clientCertificate == null || clientCertificate.isEmpty()) {
                if (clientAuth == ClientAuth.REQUIRED) {
                    throw new TlsFatalAlert(AlertDescription.handshake_failure, "a client certificate is required");
                }
                return;
            }
            verify(clientCertificate, trust);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.completed(context);
        }

        @Override
        public void processClientExtensions(Hashtable clientExtensions) throws IOException {
            super.processClientExtensions(clientExtensions);
            state.srtp.clientOffered(clientExtensions);
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Hashtable getServerExtensions() throws IOException {
            return state.srtp.answer(super.getServerExtensions());
        }

        @Override
        protected byte[] getNewConnectionID() {
            return state.connectionId();
        }

        @Override
        public HandshakeState state() {
            return state;
        }
    }
}
