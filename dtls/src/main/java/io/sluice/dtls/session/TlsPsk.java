package io.sluice.dtls.session;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.sluice.security.SecureStreamProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * TLS 1.2 with pre-shared keys (RFC 4279; ECDHE-PSK of RFC 5489 preferred) over a stream, on
 * BouncyCastle's non-blocking TLS: what CoAP over TLS ({@code coaps+tcp}, {@code coaps+ws},
 * RFC 8323 §9.1) speaks with libcoap's PSK mode, which the JDK's TLS cannot. An immutable spec, a
 * {@link SecureStreamProvider} for {@code CoapServer.tls(provider)} and {@code CoapClient.tls(provider)}:
 *
 * <pre>{@code
 * CoapServer.create(5684).tls(TlsPsk.server("sluice", id -> keys.get(new String(id, UTF_8))))
 * CoapClient.create().tls(TlsPsk.client("sensor-7", key)).connect(URI.create("coaps+tcp://127.0.0.1:5684"))
 * }</pre>
 *
 * <p>Both sides offer ALPN {@code coap} (RFC 8323 §8.2). The handshake runs on the connection's
 * event loop, each step as the peer's bytes arrive; its random numbers come from a DRBG seeded once
 * when this class is first used, so nothing on the loop reads the system's entropy source. The
 * {@link PskStore} is called on that loop too and must not block. Why TLS 1.2 and not 1.3: libcoap's
 * PSK callbacks restrict a PSK session to TLS 1.2 when it checks identity hints, OpenSSL's TLS 1.3
 * external PSKs need a different callback, and RFC 4279 suites are what both interoperate on.
 */
public final class TlsPsk implements SecureStreamProvider {

    private final byte[] identity;
    private final byte[] key;
    private final String identityHint;
    private final PskStore store;
    private final int[] suites;

    static {
        DtlsRuntime.streamCryptoReady();
    }

    private TlsPsk(byte[] identity, byte[] key, String identityHint, PskStore store, int[] suites) {
        this.identity = identity;
        this.key = key;
        this.identityHint = identityHint;
        this.store = store;
        this.suites = suites;
    }

    /**
     * A client authenticating with a pre-shared key.
     *
     * @param identity the PSK identity (sent in the clear, UTF-8)
     * @param key the key
     * @return the spec
     */
    public static TlsPsk client(String identity, byte[] key) {
        Objects.requireNonNull(identity, "identity");
        if (Objects.requireNonNull(key, "key").length == 0) {
            throw new IllegalArgumentException("a PSK must not be empty");
        }
        return new TlsPsk(identity.getBytes(StandardCharsets.UTF_8), key.clone(), null, null, null);
    }

    /**
     * A server that looks up each client's key by its identity.
     *
     * @param identityHint the hint sent to clients, or null for none
     * @param store the keys; called on the connection's event loop, so it must not block
     * @return the spec
     */
    public static TlsPsk server(String identityHint, PskStore store) {
        return new TlsPsk(null, null, identityHint, Objects.requireNonNull(store, "store"), null);
    }

    /**
     * Restricts and orders the cipher suites (IANA names, e.g. {@code TLS_PSK_WITH_AES_128_GCM_SHA256}).
     * By default BouncyCastle's PSK suites, ECDHE-PSK first.
     *
     * @param ianaNames the suites, most preferred first
     * @return the new spec
     * @throws IllegalArgumentException for a name BouncyCastle does not know
     */
    public TlsPsk cipherSuites(String... ianaNames) {
        int[] codes = new int[ianaNames.length];
        for (int i = 0; i < codes.length; i++) {
            Integer code = DtlsRuntime.suiteCode(ianaNames[i]);
            if (code == null) {
                throw new IllegalArgumentException("unknown cipher suite " + ianaNames[i]);
            }
            codes[i] = code;
        }
        if (codes.length == 0) {
            throw new IllegalArgumentException("at least one cipher suite");
        }
        return new TlsPsk(identity, key, identityHint, store, codes);
    }

    @Override
    public boolean isClient() {
        return store == null;
    }

    @Override
    public ChannelHandler newHandler(ByteBufAllocator alloc, InetSocketAddress peer, boolean client) {
        if (client != isClient()) {
            throw new IllegalStateException("a TlsPsk." + (isClient() ? "client" : "server") + " spec cannot "
                    + (client ? "open" : "accept") + " a connection");
        }
        return client ? PskTlsHandler.client(identity, key, suites) : PskTlsHandler.server(identityHint, store, suites);
    }

    @Override
    public String toString() {
        return "TlsPsk[" + (isClient() ? "client " + new String(identity, StandardCharsets.UTF_8) : "server")
                + (suites == null ? "" : ", " + Arrays.stream(suites).mapToObj(DtlsRuntime::suiteName).toList()) + "]";
    }
}
