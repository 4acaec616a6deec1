package io.sluice.dtls.session;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsPSKIdentityManager;

/** BouncyCastle peers set up the Sluice way: DTLS 1.2 only, Sluice's suites, our handshake timeout. */
final class Peers {

    private Peers() {
    }

    /** A BouncyCastle peer that lets its context, and the exports taken at completion, be read. */
    interface WithContext {
        TlsContext tlsContext();

        Map<KeyingExport, byte[]> exports();
    }

    static Map<KeyingExport, byte[]> export(TlsContext context, List<KeyingExport> wanted) {
        Map<KeyingExport, byte[]> out = new HashMap<>();
        for (KeyingExport k : wanted) {
            out.put(k, context.exportKeyingMaterial(k.label(), k.context(), k.length()));
        }
        return out;
    }

    static final class PskClient extends PSKTlsClient implements WithContext {
        private final int timeoutMillis;
        private final List<KeyingExport> wanted;
        private volatile Map<KeyingExport, byte[]> exports = Map.of();

        PskClient(byte[] identity, byte[] key, Duration timeout, List<KeyingExport> wanted) {
            super(DtlsRuntime.CRYPTO, identity, key);
            this.timeoutMillis = (int) timeout.toMillis();
            this.wanted = wanted;
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            exports = export(context, wanted);
        }

        @Override
        public Map<KeyingExport, byte[]> exports() {
            return exports;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return CipherSuites.PSK.clone();
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return timeoutMillis;
        }

        @Override
        public TlsContext tlsContext() {
            return context;
        }
    }

    static final class PskServer extends PSKTlsServer implements WithContext {
        private final int timeoutMillis;
        private final List<KeyingExport> wanted;
        private volatile Map<KeyingExport, byte[]> exports = Map.of();

        PskServer(TlsPSKIdentityManager identities, Duration timeout, List<KeyingExport> wanted) {
            super(DtlsRuntime.CRYPTO, identities);
            this.timeoutMillis = (int) timeout.toMillis();
            this.wanted = wanted;
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            exports = export(context, wanted);
        }

        @Override
        public Map<KeyingExport, byte[]> exports() {
            return exports;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return CipherSuites.PSK.clone();
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return timeoutMillis;
        }

        @Override
        public TlsContext tlsContext() {
            return context;
        }
    }
}
