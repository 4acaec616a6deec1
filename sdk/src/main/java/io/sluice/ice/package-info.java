/**
 * ICE, the X Consortium's Inter-Client Exchange protocol, as libICE speaks it, both roles.
 * {@link io.sluice.ice.IceConnector} opens connections from a libICE-style network-ID list
 * ({@code tcp/host:port}, {@code inet/host:port}, {@code unix/host:/path},
 * {@code local/host:/path}, tried in order until one is reached), sharing open ones by context and
 * opcode check through an {@link io.sluice.ice.IceConnections} registry;
 * {@link io.sluice.ice.IceListener} listens on UNIX and TCP sockets and accepts connections as
 * {@code Mono}s. Both authenticate with {@link io.sluice.ice.IceAuthMethod}s (MIT-MAGIC-COOKIE-1
 * from libICE's {@code .ICEauthority} format, {@link io.sluice.ice.IceAuthority}), host-based
 * acceptance and {@code must_authenticate}. An {@link io.sluice.ice.IceConnection} sets up
 * protocols ({@link io.sluice.ice.IceProtocol}) either way with version negotiation, pings,
 * exchanges each protocol's messages as a {@code Flux}, awaits replies by sequence number and
 * closes with WantToClose negotiation.
 *
 * <h2>Threading and buffers</h2>
 * Each connection runs on one event loop of the shared "sluice-ice" NIO loops and keeps its state
 * confined there; every public method may be called from any thread. Messages are the codec's
 * immutable values ({@link io.sluice.codec.ice.IceMessage}); nothing here hands out a
 * {@code ByteBuf}.
 */
package io.sluice.ice;
