package io.sluice.messaging;

import io.sluice.peer.LivePeer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A listening {@link MessagingServer}. Disposing it closes every session (releasing their
 * subordinate objects) and stops listening. Thread-safe.
 */
public final class LiveMessagingServer implements Disposable {

    private final LivePeer peer;
    private final Set<ServerSession> sessions;

    LiveMessagingServer(LivePeer peer, Set<ServerSession> sessions) {
        this.peer = peer;
        this.sessions = sessions;
    }

    /** @return the address listened on */
    public InetSocketAddress address() {
        return (InetSocketAddress) peer.listenAddresses().get(0);
    }

    /** @return the port listened on */
    public int port() {
        return address().getPort();
    }

    /** @return a snapshot of the open sessions: who, over what, and their live subordinate objects */
    public List<ServerSessionInfo> sessions() {
        return sessions.stream().map(ServerSession::info).toList();
    }

    /** @return the underlying peer, for its traces and exceptions */
    public LivePeer peer() {
        return peer;
    }

    @Override
    public void dispose() {
        peer.dispose();
    }

    /** @param timeout how long to wait for the sessions to close */
    public void disposeNow(Duration timeout) {
        peer.disposeNow(timeout);
    }

    @Override
    public boolean isDisposed() {
        return peer.isDisposed();
    }

    /** @return completes when the server is disposed */
    public Mono<Void> onDispose() {
        return peer.onDispose();
    }
}
