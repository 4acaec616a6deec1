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
            association.holdsSlot = true;
            return Outcome.ACTIVE;
        }
        if (waiting.size() < maxBacklog) {
            waiting.addLast(association);
            return Outcome.WAITING;
        }
        return Outcome.REFUSED;
    }

    /**
     * Frees what an ended association held: its backlog place, or its client slot, which passes to
     * the longest-waiting connection (returned, to be started on its loop). The slot belongs to that
     * connection from this moment, so one that closes before it starts hands it on in turn.
     */
    synchronized Association release(Association association) {
        if (!association.holdsSlot) {
            waiting.remove(association);
            return null;
        }
        association.holdsSlot = false;
        Association next = waiting.pollFirst();
        if (next == null) {
            active--;
        } else {
            next.holdsSlot = true;
        }
        return next;
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
