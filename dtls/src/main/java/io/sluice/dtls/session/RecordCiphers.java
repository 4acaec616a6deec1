package io.sluice.dtls.session;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.bouncycastle.tls.CipherType;
import org.bouncycastle.tls.EncryptionAlgorithm;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;

/**
 * Makes a completed handshake's {@link RecordCipher}, in {@code notifyHandshakeComplete}, while
 * the master secret still exists: AES-GCM suites get {@link GcmRecordCipher} (the JDK's cipher on
 * the datagrams' memory), every other suite BouncyCastle's own cipher ({@link BcRecordCipher}).
 *
 * <p>Threading: on the handshake's thread. Nothing here keeps the handshake's context: ciphers
 * are made over a view of it that lets go right after (a non-AEAD cipher keeps it, because its
 * explicit IVs come from the context's nonce generator).
 */
final class RecordCiphers {

    private RecordCiphers() {
    }

    static RecordCipher of(TlsContext context) throws IOException {
        SecurityParameters params = context.getSecurityParametersConnection();
        int suite = params.getCipherSuite();
        // BouncyCastle's cipher keeps its crypto parameters, and they their context (parameters,
        // nonce generator, session: kilobytes per session), though an AEAD cipher reads them only
        // while it is made. So it is made over a context that lets go of the real one right after.
        Detachable detachable = new Detachable(context, params);
        TlsContext view = (TlsContext) Proxy.newProxyInstance(TlsContext.class.getClassLoader(), new Class<?>[] {TlsContext.class},
                detachable);
        TlsCryptoParameters crypto = new TlsCryptoParameters(view) {
            // The keys come from the handshake's parameters, which the context has already moved
            // to the connection's by the time the handshake completes.
            @Override
            public SecurityParameters getSecurityParametersHandshake() {
                return detachable.params();
            }
        };
        try {
            int encryption = TlsUtils.getEncryptionAlgorithm(suite);
            if (encryption == EncryptionAlgorithm.AES_128_GCM || encryption == EncryptionAlgorithm.AES_256_GCM) {
                return GcmRecordCipher.of(crypto, encryption == EncryptionAlgorithm.AES_128_GCM ? 16 : 32, params.getConnectionIDLocal(),
                        params.getConnectionIDPeer());
            }
            TlsCipher cipher = context.getCrypto().createCipher(crypto, encryption, TlsUtils.getMACAlgorithm(suite));
            boolean aead = TlsUtils.getCipherType(suite) == CipherType.aead;
            if (!aead) {
                detachable.keep(); // block ciphers draw explicit IVs from the context's nonce generator
            }
            return new BcRecordCipher(cipher, aead);
        } finally {
            detachable.detach();
        }
    }

    /** Delegates to a context until detached, then refuses (or, kept, delegates for good). */
    private static final class Detachable implements InvocationHandler {
        private volatile TlsContext target;
        private volatile SecurityParameters params;
        private volatile boolean kept;

        Detachable(TlsContext target, SecurityParameters params) {
            this.target = target;
            this.params = params;
        }

        SecurityParameters params() {
            SecurityParameters p = params;
            if (p == null) {
                throw new IllegalStateException("the handshake's parameters are gone: its record cipher is already made");
            }
            return p;
        }

        void keep() {
            kept = true;
        }

        void detach() {
            if (!kept) {
                target = null;
                params = null;
            }
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "TlsContext view";
                };
            }
            TlsContext t = target;
            if (t == null) {
                throw new IllegalStateException("the handshake's context is gone: its record cipher is already made");
            }
            try {
                return method.invoke(t, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
