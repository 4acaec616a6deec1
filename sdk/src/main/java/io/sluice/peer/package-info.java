/**
 * Symmetric RPC peers (lwmsg's {@code LWMsgPeer}) over Sluice's call protocol
 * ({@code io.sluice.codec.call}): tagged call types with codecs, dispatch tables of blocking and
 * non-blocking handlers, TCP and UNIX-socket listeners with client slots and a backlog, lazy client
 * sessions, calls as {@code Mono} and streamed calls as {@code Flux} whose demand crosses the wire,
 * cancellation end to end, callbacks in both directions, and trace and exception streams.
 *
 * <p>Start at {@link io.sluice.peer.Peer}. Connections run on event loops and never block them:
 * blocking handlers run on a bounded scheduler. Buffer ownership is stated on
 * {@link io.sluice.peer.PayloadCodecs#byteBuf()}, {@link io.sluice.peer.CallHandler} and
 * {@link io.sluice.peer.PeerSession}.
 */
package io.sluice.peer;
