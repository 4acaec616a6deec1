package io.sluice.ice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.codec.Limits;
import io.sluice.codec.ice.IceVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * Fuzz targets for what an ICE peer reads from disk and from the network: {@code .ICEauthority}
 * files, and the acceptor's connection state machine fed a byte stream. Run by
 * {@code io.sluice.fuzz.SdkFuzzTest} (committed inputs) and {@code io.sluice.codec.fuzz.FuzzRun}.
 */
public final class IceFuzzTargets {

    /** The cookie the acceptor's authority holds for {@link #NETWORK_ID}; seeds carry it so that authentication can succeed. */
    static final byte[] COOKIE = "sluice-fuzz-cook".getBytes(StandardCharsets.ISO_8859_1);
    static final String NETWORK_ID = "fuzz/1";

    private static final IceSide ACCEPTOR = new IceSide("Sluice", "fuzz", Limits.defaults(),
            List.of(IceProtocol.of("FUZZ", "Sluice", "fuzz", new IceVersion(1, 0)).withAuth(IceAuthMethod.mitMagicCookie1())),
            IceAuthority.of(List.of(new IceAuthEntry("ICE", new byte[0], NETWORK_ID, IceAuthority.MIT_MAGIC_COOKIE_1, COOKIE),
                    new IceAuthEntry("FUZZ", new byte[0], NETWORK_ID, IceAuthority.MIT_MAGIC_COOKIE_1, COOKIE))),
            List.of(IceAuthMethod.mitMagicCookie1()), null, IceConnections.create(), io.sluice.metrics.Telemetry.NONE);

    private IceFuzzTargets() {
    }

    /**
     * An {@code .ICEauthority} file: it parses or is refused with an {@link IOException}, and what
     * parses writes back to exactly the input (the format has one encoding per entry list).
     */
    public static void iceAuthority(byte[] data) {
        IceAuthority authority;
        try {
            authority = IceAuthority.parse(data, "fuzz");
        } catch (IOException e) {
            return;
        }
        if (!Arrays.equals(authority.bytes(), data)) {
            throw new AssertionError("an authority file did not write back as it was read: " + authority);
        }
    }

    /**
     * An accepting ICE connection fed a byte stream in chunks (the first input byte sets their
     * size): whatever arrives, the connection's opening ends, if it ends, in the connection or an
     * {@link IceException}; no exception escapes the channel's pipeline; and every buffer it was
     * given has been released once the channel closes.
     */
    public static void iceAcceptor(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int chunk = 1 + (data[0] & 0x3F);
        EmbeddedChannel channel = new EmbeddedChannel();
        AtomicReference<Throwable> wrong = new AtomicReference<>();
        Mono.<IceConnection>create(sink -> {
            IceConnection connection = new IceConnection(channel, ACCEPTOR, false, NETWORK_ID, null, sink);
            channel.pipeline().addLast(new IceFrameDecoder(ACCEPTOR.limits().maxMessageBytes()), connection.handler());
            connection.startAsAcceptor();
        }).subscribe(connection -> { }, error -> {
            if (!(error instanceof IceException)) {
                wrong.set(error);
            }
        });
        List<ByteBuf> given = new ArrayList<>();
        for (int at = 1; at < data.length && channel.isOpen(); at += chunk) {
            ByteBuf in = Unpooled.copiedBuffer(data, at, Math.min(chunk, data.length - at));
            given.add(in);
            channel.writeInbound(in);
            channel.runPendingTasks();
            channel.releaseOutbound();
        }
        channel.finishAndReleaseAll();
        channel.runPendingTasks();
        if (wrong.get() != null) {
            throw new AssertionError("the acceptor failed with something other than an IceException", wrong.get());
        }
        for (ByteBuf in : given) {
            if (in.refCnt() != 0) {
                throw new AssertionError("a received buffer was never released");
            }
        }
    }
}
