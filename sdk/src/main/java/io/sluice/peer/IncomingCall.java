package io.sluice.peer;

/**
 * What a handler knows about the call it is serving. Valid while the call runs; thread-safe.
 */
public interface IncomingCall {

    /** @return the call's type */
    CallType<?, ?> type();

    /** @return the caller's id for this call */
    long callId();

    /**
     * The session the call came in on. Handlers may call back to the caller through it: the peer
     * is symmetric.
     *
     * @return the session
     */
    PeerSession session();

    /** @return the peer's dispatch data ({@code lwmsg_peer_get_dispatch_data}), or {@code null} */
    Object dispatchData();
}
