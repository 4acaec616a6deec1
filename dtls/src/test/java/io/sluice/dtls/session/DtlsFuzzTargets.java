package io.sluice.dtls.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fuzz targets for what the DTLS module reads from the network and from disk: the record filter
 * in front of BouncyCastle, and identities from PEM and PKCS#12 files. Run by
 * {@code io.sluice.dtls.fuzz.DtlsFuzzTest} (committed inputs) and {@code io.sluice.codec.fuzz.FuzzRun}.
 */
public final class DtlsFuzzTargets {

    /** Where the file targets write their input; one per JVM, overwritten by each execution. */
    private static final Path FILES;

    static {
        try {
            FILES = Files.createTempDirectory("sluice-fuzz-");
            // Deleted in the reverse order of registration: the files, then the folder.
            FILES.toFile().deleteOnExit();
            for (String name : new String[] {"chain.pem", "key.pem", "identity.p12"}) {
                FILES.resolve(name).toFile().deleteOnExit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private DtlsFuzzTargets() {
    }

    /**
     * A datagram on a DTLS session (the first input byte sets the receiver's connection-ID length,
     * 0–15): the filter never throws, reads nothing, and passes exactly the datagrams that a
     * separate walk over RFC 6347 §4.1 / RFC 9146 §4 headers finds to be whole records of a DTLS
     * content type and version, protected ones at least a tag long.
     */
    public static void recordFilter(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int cid = data[0] & 0x0F;
        ByteBuf datagram = Unpooled.wrappedBuffer(data, 1, data.length - 1);
        boolean passed = RecordFilter.acceptable(datagram, cid);
        if (datagram.readerIndex() != 0 || datagram.readableBytes() != data.length - 1) {
            throw new AssertionError("the record filter moved the datagram's indexes");
        }
        boolean expected = wellFormed(Arrays.copyOfRange(data, 1, data.length), cid);
        if (passed != expected) {
            throw new AssertionError("the record filter " + (passed ? "passed" : "dropped") + " a datagram the record walk "
                    + (expected ? "accepts" : "refuses"));
        }
    }

    private static boolean wellFormed(byte[] d, int cid) {
        if (d.length == 0) {
            return false;
        }
        int at = 0;
        while (at < d.length) {
            int type = d[at] & 0xFF;
            boolean withCid = type == 25;
            boolean known = type == 20 || type == 21 || type == 22 || type == 23 || withCid && cid > 0;
            int header = withCid ? 13 + cid : 13;
            if (!known || d.length - at < header || (d[at + 1] & 0xFF) != 0xFE) {
                return false;
            }
            int epoch = (d[at + 3] & 0xFF) << 8 | d[at + 4] & 0xFF;
            int length = (d[at + header - 2] & 0xFF) << 8 | d[at + header - 1] & 0xFF;
            if (at + header + length > d.length || (epoch != 0 || withCid) && length < 16) {
                return false;
            }
            at += header + length;
        }
        return true;
    }

    /**
     * A PEM certificate chain and private key, split at the first NUL byte: they load as an identity
     * or are refused with an {@link IOException}; any other exception is a finding.
     */
    public static void pemIdentity(byte[] data) {
        int nul = 0;
        while (nul < data.length && data[nul] != 0) {
            nul++;
        }
        Path certificates = FILES.resolve("chain.pem");
        Path key = FILES.resolve("key.pem");
        try {
            Files.write(certificates, Arrays.copyOfRange(data, 0, nul));
            Files.write(key, nul < data.length ? Arrays.copyOfRange(data, nul + 1, data.length) : new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            DtlsIdentity.fromPem(certificates, key);
        } catch (IOException refused) {
            // not a chain and a key
        }
    }

    /**
     * A PKCS#12 file (passphrase {@code fuzz}): it loads as an identity or is refused with an
     * {@link IOException}; any other exception is a finding.
     */
    public static void pkcs12Identity(byte[] data) {
        Path file = FILES.resolve("identity.p12");
        try {
            Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            DtlsIdentity.fromPkcs12(file, "fuzz".toCharArray());
        } catch (IOException refused) {
            // not a PKCS#12 identity
        }
    }
}
