package io.sluice.ice;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * ICE authentication data: the entries of an {@code .ICEauthority} file, read and written in
 * libICE's format (each field a 16-bit big-endian count followed by its bytes: protocol name,
 * protocol data, network ID, method name, method data), and looked up by libICE's rule — protocol
 * name, network ID and method name all equal. Originators read it to answer challenges; acceptors
 * hold the entries they will accept (libICE's {@code IceSetPaAuthData}). Immutable; reading and
 * writing files block, so call them off event loops (the connector reads the default file on a
 * bounded-elastic thread).
 */
public final class IceAuthority {

    /** The authentication method every X11 session uses. */
    public static final String MIT_MAGIC_COOKIE_1 = "MIT-MAGIC-COOKIE-1";

    /** A file larger than this is refused rather than read: no honest authority file is near it. */
    static final long MAX_FILE_BYTES = 4 << 20;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final IceAuthority EMPTY = new IceAuthority(List.of());

    private final List<IceAuthEntry> entries;

    private IceAuthority(List<IceAuthEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** @return an authority without entries */
    public static IceAuthority empty() {
        return EMPTY;
    }

    /**
     * @param entries the entries, in lookup order
     * @return an authority holding them
     */
    public static IceAuthority of(Collection<IceAuthEntry> entries) {
        return new IceAuthority(new ArrayList<>(entries));
    }

    /**
     * @return the file libICE would use: {@code $ICEAUTHORITY}, else {@code $HOME/.ICEauthority}
     *     (the user's home from the JVM when {@code HOME} is unset)
     */
    public static Path defaultFile() {
        String explicit = System.getenv("ICEAUTHORITY");
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit);
        }
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"), ".ICEauthority");
    }

    /**
     * Reads an authority file. A missing file is an empty authority, as in libICE.
     *
     * @param file the file
     * @return its entries
     * @throws UncheckedIOException if it cannot be read, or is malformed (truncated entry, over 4 MiB)
     */
    public static IceAuthority read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException(file + " is over " + MAX_FILE_BYTES + " bytes; not an ICE authority file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                return parse(in.readAllBytes(), file.toString());
            }
        } catch (NoSuchFileException e) {
            return EMPTY;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static IceAuthority parse(byte[] bytes, String source) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
        List<IceAuthEntry> entries = new ArrayList<>();
        while (in.available() > 0) {
            try {
                entries.add(new IceAuthEntry(text(in), counted(in), text(in), text(in), counted(in)));
            } catch (EOFException e) {
                throw new IOException(source + ": entry " + (entries.size() + 1) + " is truncated", e);
            }
        }
        return new IceAuthority(entries);
    }

    private static byte[] counted(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readUnsignedShort()];
        in.readFully(b);
        return b;
    }

    private static String text(DataInputStream in) throws IOException {
        return new String(counted(in), StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes the entries to a file readable only by its owner, replacing it atomically where the
     * file system allows.
     *
     * @param file the file
     */
    public void write(Path file) {
        byte[] bytes = bytes();
        try {
            Path dir = file.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, ".iceauth", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: the platform's defaults apply
                }
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's content: each entry as five counted strings, as libICE writes them. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (IceAuthEntry e : entries) {
            counted(out, e.protocolName().getBytes(StandardCharsets.ISO_8859_1));
            counted(out, e.protocolData());
            counted(out, e.networkId().getBytes(StandardCharsets.ISO_8859_1));
            counted(out, e.authName().getBytes(StandardCharsets.ISO_8859_1));
            counted(out, e.authData());
        }
        return out.toByteArray();
    }

    private static void counted(ByteArrayOutputStream out, byte[] b) {
        out.write(b.length >> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    /** @return the entries, in lookup order */
    public List<IceAuthEntry> entries() {
        return entries;
    }

    /**
     * @param entry an entry; one with the same protocol, network ID and method is replaced
     * @return a copy holding it
     */
    public IceAuthority with(IceAuthEntry entry) {
        List<IceAuthEntry> next = new ArrayList<>(entries.size() + 1);
        next.add(entry);
        for (IceAuthEntry e : entries) {
            if (!e.matches(entry.protocolName(), entry.networkId(), entry.authName())) {
                next.add(e);
            }
        }
        return new IceAuthority(next);
    }

    /**
     * @param other more entries
     * @return a copy holding this one's entries and then the other's
     */
    public IceAuthority plus(IceAuthority other) {
        List<IceAuthEntry> next = new ArrayList<>(entries);
        next.addAll(other.entries);
        return new IceAuthority(next);
    }

    /**
     * A fresh MIT-MAGIC-COOKIE-1 (16 random bytes) for each protocol on each network ID, as a
     * session manager makes them before it announces its network IDs.
     *
     * @param networkIds the network IDs the acceptor listens on
     * @param protocols the protocols, {@code ICE} for the connection itself
     * @return a copy with the new cookies (replacing older ones for the same keys)
     */
    public IceAuthority withNewCookies(List<String> networkIds, List<String> protocols) {
        IceAuthority next = this;
        for (String id : networkIds) {
            for (String protocol : protocols) {
                byte[] cookie = new byte[16];
                RANDOM.nextBytes(cookie);
                next = next.with(new IceAuthEntry(protocol, new byte[0], id, MIT_MAGIC_COOKIE_1, cookie));
            }
        }
        return next;
    }

    /**
     * @param protocol the protocol name ({@code ICE} for the connection)
     * @param networkId the network ID
     * @param method the method name
     * @return the first matching entry
     */
    public Optional<IceAuthEntry> find(String protocol, String networkId, String method) {
        for (IceAuthEntry e : entries) {
            if (e.matches(protocol, networkId, method)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "IceAuthority" + entries;
    }
}
