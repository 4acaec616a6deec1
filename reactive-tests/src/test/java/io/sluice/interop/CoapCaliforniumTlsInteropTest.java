package io.sluice.interop;

import io.sluice.coap.CoapClient;
import io.sluice.coap.CoapServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.californium.elements.Connector;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.TcpConfig;
import org.eclipse.californium.elements.tcp.netty.TlsClientConnector;
import org.eclipse.californium.elements.tcp.netty.TlsServerConnector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same operations as {@link CoapCaliforniumTcpInteropTest} over {@code coaps+tcp} (RFC 8323
 * §3.4): Californium 3.14.0's TLS connectors with X.509 certificates the openssl command line
 * issued, both sides authenticating (Californium's server needs the client's certificate).
 */
class CoapCaliforniumTlsInteropTest extends CoapCaliforniumTcpInteropTest {

    @TempDir
    static Path dir;

    private static OpensslPki pki;
    private static Path serverIdentity;
    private static Path clientIdentity;

    @BeforeAll
    static void makePki() throws Exception {
        pki = new OpensslPki(dir);
        serverIdentity = pki.issue("server");
        clientIdentity = pki.issue("client");
    }

    @Override
    String scheme() {
        return "coaps+tcp";
    }

    @Override
    CoapServer sluiceServer() throws Exception {
        return CoapServer.create().port(0).tls(CoapTlsInteropTest.serverContext(pki, serverIdentity));
    }

    @Override
    CoapClient sluiceClient() throws Exception {
        return CoapClient.create().tls(CoapTlsInteropTest.clientContext(pki.caCert, clientIdentity));
    }

    @Override
    Connector californiumClientConnector(Configuration config) throws Exception {
        // The test identities name no IP address: the chain is checked, the subject is not.
        config.set(TcpConfig.TLS_VERIFY_SERVER_CERTIFICATES_SUBJECT, false);
        return new TlsClientConnector(sslContext(clientIdentity), config);
    }

    @Override
    Connector californiumServerConnector(Configuration config) throws Exception {
        config.set(TcpConfig.TLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NEEDED);
        return new TlsServerConnector(sslContext(serverIdentity), LOOPBACK, config);
    }

    /** A JDK context with {@code identity}'s key and the test authority as the only trust anchor. */
    private static SSLContext sslContext(Path identity) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        try (InputStream in = Files.newInputStream(pki.caCert)) {
            anchors.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(anchors);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(CoapTlsInteropTest.keys(identity).getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }
}
