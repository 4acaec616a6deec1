package io.sluice.peer;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Client slots of a listening peer (lwmsg's max clients and max backlog): an accepted connection
 * is active while a slot is free, waits unread in the backlog while the backlog has room, and is
 * refused otherwise. Guarded by its own monitor, held only for counter updates, never while calling
 * out.
 */
final class Admission {

    enum Outcome { ACTIVE, WAITING, REFUSED }

    private final int maxClients;
    private final int maxBacklog;
    private int active;
    private final Deque<Association> waiting = new ArrayDeque<>();

    Admission(int maxClients, int maxBacklog) {
        this.maxClients = maxClients;
        this.maxBacklog = maxBacklog;
    }

    synchronized Outcome admit(Association association) {
        if (active < maxClients) {
            active++;
            return Outcome.ACTIVE;
        }
        if (waiting.size() < maxBacklog) {
            waiting.addLast(association);
            return Outcome.WAITING;
        }
        return Outcome.REFUSED;
    }

    /** Frees the slot of an ended association and returns the waiting one that takes it, if any. */
    Association release(Association association, boolean wasActive) {
        synchronized (this) {
            if (!wasActive) {
                waiting.remove(association);
                return null;
            }
            Association next = waiting.pollFirst();
            if (next == null) {
                active--;
            }
            return next;
        }
    }

    synchronized int active() {
        return active;
    }

    synchronized int waiting() {
        return waiting.size();
    }

    String describe() {
        return "the peer has " + maxClients + " client slots and a backlog of " + maxBacklog + ", all taken";
    }
}
