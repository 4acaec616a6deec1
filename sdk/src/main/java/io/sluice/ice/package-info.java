/**
 * ICE, the X Consortium's Inter-Client Exchange protocol, as libICE speaks it — first part: the
 * originator side. {@link io.sluice.ice.IceConnector} opens connections from a libICE-style
 * network-ID list ({@code tcp/host:port}, {@code inet/host:port}, {@code unix/host:/path},
 * {@code local/host:/path}, tried in order); an {@link io.sluice.ice.IceConnection} sets up
 * protocols ({@link io.sluice.ice.IceProtocol}) with version negotiation, pings, exchanges each
 * protocol's messages as a {@code Flux} and closes with WantToClose negotiation.
 *
 * <h2>Threading and buffers</h2>
 * Each connection runs on one event loop of the shared "sluice-ice" NIO loops and keeps its state
 * confined there; every public method may be called from any thread. Messages are the codec's
 * immutable values ({@link io.sluice.codec.ice.IceMessage}); nothing here hands out a
 * {@code ByteBuf}.
 */
package io.sluice.ice;
