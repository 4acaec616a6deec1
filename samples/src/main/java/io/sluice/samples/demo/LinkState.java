package io.sluice.samples.demo;

import io.sluice.session.Transitions;

/** The states of the demo's session, shaped like libcoap's: connecting, up, and closed for good. */
enum LinkState {
    NONE, CONNECTING, ESTABLISHED, CLOSED;

    static final Transitions<LinkState> TABLE = Transitions.startingAt(NONE)
            .allow(NONE, CONNECTING, CLOSED)
            .allow(CONNECTING, ESTABLISHED, CLOSED)
            .allow(ESTABLISHED, CLOSED)
            .terminal(CLOSED)
            .build();
}
