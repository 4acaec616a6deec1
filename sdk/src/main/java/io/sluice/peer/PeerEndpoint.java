package io.sluice.peer;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * Where a peer listens or connects (lwmsg's endpoint type plus path): a TCP address, a local UNIX
 * domain socket, or a server channel that is already listening (for example
 * {@code System.inheritedChannel()}). Immutable.
 */
public sealed interface PeerEndpoint {

    /**
     * A TCP endpoint.
     *
     * @param host a host name or address literal
     * @param port a port; 0 when listening means any free port
     * @return the endpoint
     */
    static PeerEndpoint tcp(String host, int port) {
        return new Tcp(InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), port));
    }

    /**
     * A TCP endpoint at a resolved address.
     *
     * @param address the address
     * @return the endpoint
     */
    static PeerEndpoint tcp(InetSocketAddress address) {
        return new Tcp(Objects.requireNonNull(address, "address"));
    }

    /**
     * A local UNIX domain socket; when listening, the socket file gets mode {@code rw-------}.
     *
     * @param path the socket file
     * @return the endpoint
     */
    static PeerEndpoint unix(Path path) {
        return new Unix(Objects.requireNonNull(path, "path"), PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * A local UNIX domain socket with the permissions its file gets when listening.
     *
     * @param path the socket file
     * @param permissions in {@code ls -l} form, such as {@code rw-rw----}
     * @return the endpoint
     */
    static PeerEndpoint unix(Path path, String permissions) {
        return new Unix(Objects.requireNonNull(path, "path"), PosixFilePermissions.fromString(permissions));
    }

    /**
     * A server channel that is already bound and listening; the peer takes ownership of it.
     *
     * @param channel a bound TCP or UNIX domain server channel
     * @return the endpoint (listening only)
     */
    static PeerEndpoint listening(ServerSocketChannel channel) {
        return new Listening(Objects.requireNonNull(channel, "channel"));
    }

    /**
     * A TCP endpoint.
     *
     * @param address the socket address
     */
    record Tcp(InetSocketAddress address) implements PeerEndpoint {
        InetSocketAddress resolved() {
            return address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        }

        @Override
        public String toString() {
            return "tcp/" + address.getHostString() + ":" + address.getPort();
        }
    }

    /**
     * @param path the socket file
     * @param permissions applied to the socket file when listening
     */
    record Unix(Path path, Set<PosixFilePermission> permissions) implements PeerEndpoint {
        /**
         * Copies the permissions.
         *
         * @param path the socket file
         * @param permissions applied to the socket file when listening
         */
        public Unix {
            permissions = Set.copyOf(permissions);
        }

        SocketAddress address() {
            return UnixDomainSocketAddress.of(path);
        }

        @Override
        public String toString() {
            return "local/" + path;
        }
    }

    /** @param channel the listening server channel */
    record Listening(ServerSocketChannel channel) implements PeerEndpoint {
        @Override
        public String toString() {
            return "listening/" + channel;
        }
    }
}
