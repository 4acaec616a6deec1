package io.sluice.samples.demo;

import io.sluice.session.Attributes;
import io.sluice.session.IdlePool;
import io.sluice.session.RefCount;
import io.sluice.session.Retainable;
import io.sluice.session.StateMachine;
import reactor.core.publisher.Flux;

/**
 * A server-side session put together from the session model the way protocol packages do it: a
 * state machine, a reference count that starts at zero, parking in an idle pool whenever nobody
 * holds it, and attributes. Thread-safe.
 */
final class DemoSession implements Retainable {

    private final String peer;
    private final StateMachine<LinkState> state;
    private final RefCount refCount;
    private final Attributes attributes = new Attributes();

    DemoSession(String peer, IdlePool<DemoSession> pool) {
        this.peer = peer;
        this.state = StateMachine.create(this, LinkState.TABLE);
        this.refCount = RefCount.create(this, 0, new RefCount.Listener() {
            @Override
            public void onIdle() {
                pool.park(DemoSession.this);
            }

            @Override
            public void onRevived() {
                pool.unpark(DemoSession.this);
            }
        });
        pool.park(this);
    }

    /** The pool's evictor: frees the session only if nobody revived it meanwhile. */
    static boolean evict(DemoSession session) {
        if (!session.refCount.tryFree()) {
            return false;
        }
        session.state.transition(LinkState.CLOSED);
        return true;
    }

    void connect() {
        refCount.ensureLive("connect()");
        state.transition(LinkState.CONNECTING);
        state.transition(LinkState.ESTABLISHED);
    }

    LinkState state() {
        return state.current();
    }

    Flux<LinkState> states() {
        return state.states();
    }

    Attributes attributes() {
        return attributes;
    }

    @Override
    public DemoSession retain() {
        refCount.retain();
        return this;
    }

    @Override
    public boolean release() {
        return refCount.release();
    }

    @Override
    public int refCount() {
        return refCount.get();
    }

    @Override
    public String toString() {
        return "session " + peer;
    }
}
