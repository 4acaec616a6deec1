package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.sluice.security.SecureStreamSession;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Vector;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsProtocol;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * One TLS-PSK connection on BouncyCastle's non-blocking protocol engine: ciphertext read from the
 * channel is offered to the engine, plaintext it yields goes on up the pipeline, plaintext written
 * down is encrypted and what the engine has to send is written out. It behaves as Netty's
 * {@code SslHandler} does toward the handlers after it: one {@link SslHandshakeCompletionEvent},
 * writes held until the handshake is done, close_notify on close.
 *
 * <p>Everything runs on the channel's event loop. Inbound buffers are released here once copied
 * into the engine; plaintext passed up is owned by the next handler; plaintext written is released
 * here once encrypted. What the engine holds is bounded by one TLS record (16 KiB plus overhead) on
 * the way in and by Netty's outbound buffer, with its writability, on the way out.
 */
final class PskTlsHandler extends ChannelDuplexHandler implements SecureStreamSession {

    private static final ProtocolName COAP = ProtocolName.asUtf8Encoding("coap");

    private final TlsProtocol engine;
    private final org.bouncycastle.tls.TlsPeer peer;
    private final boolean client;
    private ChannelHandlerContext ctx;
    private boolean started;
    private boolean handshakeDone;
    private boolean finished;
    private ArrayDeque<PendingWrite> pending;
    private volatile String version;
    private volatile String suite;
    private volatile byte[] pskIdentity;

    private record PendingWrite(ByteBuf data, ChannelPromise promise) {
    }

    private PskTlsHandler(boolean client, java.util.function.Function<PskTlsHandler, org.bouncycastle.tls.TlsPeer> peer) {
        this.client = client;
        this.engine = client ? new TlsClientProtocol() : new TlsServerProtocol();
        this.peer = peer.apply(this);
    }

    static PskTlsHandler client(byte[] identity, byte[] key, int[] suites) {
        return new PskTlsHandler(true, h -> h.new Client(identity, key, suites));
    }

    static PskTlsHandler server(String identityHint, PskStore store, int[] suites) {
        byte[] hint = identityHint == null ? null : identityHint.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new PskTlsHandler(false, h -> h.new Server(new TlsPSKIdentityManager() {
            @Override
            public byte[] getHint() {
                return hint;
            }

            @Override
            public byte[] getPSK(byte[] identity) {
                byte[] key = store.keyFor(identity);
                // BouncyCastle wipes the array once the premaster secret is derived: keep the application's intact.
                return key == null ? null : key.clone();
            }
        }, suites));
    }

    // ------------------------------------------------------------------------------ life cycle

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        try {
            if (client) {
                ((TlsClientProtocol) engine).connect((org.bouncycastle.tls.TlsClient) peer);
            } else {
                ((TlsServerProtocol) engine).accept((org.bouncycastle.tls.TlsServer) peer);
            }
            writeOutput(ctx.newPromise());
            ctx.flush();
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new ClosedChannelException());
        ctx.fireChannelInactive();
    }

    // ---------------------------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        byte[] bytes;
        try {
            bytes = ByteBufUtil.getBytes(in);
        } finally {
            in.release();
        }
        if (finished) {
            return;
        }
        try {
            engine.offerInput(bytes);
        } catch (IOException | RuntimeException e) {
            writeOutput(ctx.newPromise()); // the alert the engine raised
            ctx.flush();
            fail(e);
            return;
        }
        writeOutput(ctx.newPromise());
        ctx.flush();
        if (!handshakeDone && engine.isConnected() && !engine.isHandshaking()) {
            handshakeDone = true;
            ctx.fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
            drainPending();
        }
        int available = engine.getAvailableInputBytes();
        if (available > 0) {
            byte[] plain = new byte[available];
            engine.readInput(plain, 0, available);
            ctx.fireChannelRead(ctx.alloc().buffer(available).writeBytes(plain));
        }
        if (engine.isClosed() && !finished) {
            finished = true; // the peer's close_notify
            ctx.close();
        }
    }

    // --------------------------------------------------------------------------------- outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf data)) {
            ctx.write(msg, promise);
            return;
        }
        if (finished) {
            data.release();
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        if (!handshakeDone) {
            if (pending == null) {
                pending = new ArrayDeque<>();
            }
            pending.add(new PendingWrite(data, promise));
            return;
        }
        encrypt(data, promise);
    }

    private void encrypt(ByteBuf data, ChannelPromise promise) {
        try {
            byte[] plain = ByteBufUtil.getBytes(data);
            engine.writeApplicationData(plain, 0, plain.length);
        } catch (IOException | RuntimeException e) {
            promise.tryFailure(e);
            fail(e);
            return;
        } finally {
            data.release();
        }
        writeOutput(promise);
    }

    private void drainPending() {
        if (pending == null) {
            return;
        }
        PendingWrite w;
        while ((w = pending.poll()) != null) {
            encrypt(w.data(), w.promise());
        }
        ctx.flush();
    }

    /** Writes what the engine has to send; {@code promise} completes with that write (at once when there is nothing). */
    private void writeOutput(ChannelPromise promise) {
        int n = engine.getAvailableOutputBytes();
        if (n == 0) {
            promise.trySuccess();
            return;
        }
        ByteBuf out = ctx.alloc().buffer(n);
        byte[] bytes = new byte[n];
        engine.readOutput(bytes, 0, n);
        ctx.write(out.writeBytes(bytes), promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!finished && handshakeDone) {
            finished = true;
            try {
                engine.close(); // close_notify
                writeOutput(ctx.newPromise());
                ctx.flush();
            } catch (IOException e) {
                // closing anyway
            }
        }
        failPending(new ClosedChannelException());
        ctx.close(promise);
    }

    /** Ends the connection once: tells a handshake's waiters why, or the pipeline after it. */
    private void fail(Throwable why) {
        if (finished) {
            failPending(why);
            return;
        }
        finished = true;
        failPending(why);
        if (!handshakeDone) {
            ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(why));
        } else if (!(why instanceof ClosedChannelException)) {
            ctx.fireExceptionCaught(why);
        }
        ctx.close();
    }

    private void failPending(Throwable why) {
        if (pending == null) {
            return;
        }
        PendingWrite w;
        while ((w = pending.poll()) != null) {
            w.data().release();
            w.promise().tryFailure(why);
        }
    }

    // --------------------------------------------------------------------- what was agreed

    private void completed(TlsContext context) {
        SecurityParameters p = context.getSecurityParametersConnection();
        ProtocolVersion v = p.getNegotiatedVersion();
        version = v.isTLS() && v.getMajorVersion() == 3 ? "TLSv1." + (v.getMinorVersion() - 1) : v.getName(); // the JDK's names
        suite = DtlsRuntime.suiteName(p.getCipherSuite());
        byte[] id = p.getPSKIdentity();
        pskIdentity = id == null ? null : id.clone();
    }

    @Override
    public Optional<String> protocolVersion() {
        return Optional.ofNullable(version);
    }

    @Override
    public Optional<String> cipherSuite() {
        return Optional.ofNullable(suite);
    }

    @Override
    public Optional<byte[]> pskIdentity() {
        byte[] id = pskIdentity;
        return id == null ? Optional.empty() : Optional.of(id.clone());
    }

    @Override
    public String toString() {
        return "PskTlsHandler[" + (client ? "client" : "server") + (version == null ? ", handshaking" : ", " + version + " " + suite) + "]";
    }

    // ------------------------------------------------------------------------- the TLS peers

    private static Vector<ProtocolName> alpn() {
        Vector<ProtocolName> names = new Vector<>();
        names.add(COAP);
        return names;
    }

    private final class Client extends PSKTlsClient {
        private final int[] suites;

        Client(byte[] identity, byte[] key, int[] suites) {
            super(DtlsRuntime.streamCryptoReady(), new BasicTlsPSKIdentity(identity, key.clone()));
            this.suites = suites;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return suites != null ? suites.clone() : super.getSupportedCipherSuites();
        }

        @Override
        @SuppressWarnings("rawtypes")
        protected Vector getProtocolNames() {
            return alpn();
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            completed(context);
        }
    }

    private final class Server extends PSKTlsServer {
        private final int[] suites;

        Server(TlsPSKIdentityManager identities, int[] suites) {
            super(DtlsRuntime.streamCryptoReady(), identities);
            this.suites = suites;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return suites != null ? suites.clone() : super.getSupportedCipherSuites();
        }

        /** The server's order decides, so a spec's list really is its order of preference. */
        @Override
        protected boolean preferLocalCipherSuites() {
            return true;
        }

        @Override
        @SuppressWarnings("rawtypes")
        protected Vector getProtocolNames() {
            return alpn();
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            completed(context);
        }
    }
}
