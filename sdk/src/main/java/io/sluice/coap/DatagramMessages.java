package io.sluice.coap;

import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapType;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/**
 * The datagram message layer of one UDP or DTLS session (RFC 7252 §4): message types and IDs,
 * retransmission of CONs with exponential back-off, ACK and Reset, piggy-backed and separate
 * responses, deduplication of requests (the table is the endpoint's: it is keyed by peer address
 * and outlives a session), the CoAP ping. Messages come up from {@link CoapEndpoint}, which decoded
 * them and found this session; requests go on to the session's {@link ServerExchanges} and
 * responses to its {@link ClientExchanges}, once each.
 *
 * <p>Loop-confined; collections are created on first use. Messages are {@link CoapMessage} values:
 * the link encodes them into buffers it owns.
 */
final class DatagramMessages implements MessageLayer {

    /** How many NON messages a late Reset may still refer to (RFC 7641 §3.6: a Reset to a NON notification ends the observation). */
    private static final int RECENT_NON = 8;

    private final SessionImpl session;
    private final CoapEndpoint endpoint;
    private Map<Integer, Outgoing> pending;
    private LinkedHashMap<Integer, Delivery> recentNon;

    DatagramMessages(SessionImpl session) {
        this.session = session;
        this.endpoint = session.endpoint;
    }

    // -------------------------------------------------------------------------------------- up

    /** A message from the session's peer; {@code viaGroup} when it came to a multicast group. */
    void onMessage(CoapMessage message, boolean viaGroup) {
        CoapType type = message.type();
        if (type == CoapType.ACK || type == CoapType.RST) {
            onAckOrReset(message);
            return;
        }
        CoapCode code = message.code();
        if (code.isRequest()) {
            onRequest(message, viaGroup);
        } else if (code.isResponse()) {
            ClientExchanges client = session.existingClient();
            boolean awaited = client != null && client.onResponse(message);
            if (type == CoapType.CON) {
                // RFC 7252 §5.3.2 / RFC 7641 §3.6: a response nobody waits for is rejected.
                sendRaw(awaited ? CoapMessage.emptyAck(message.messageId()) : CoapMessage.reset(message.messageId()));
            }
        } else if (type == CoapType.CON) {
            // An empty CON is a CoAP ping (§4.3), answered with a Reset; signalling codes (7.xx) belong to streams.
            sendRaw(CoapMessage.reset(message.messageId()));
        }
    }

    private void onRequest(CoapMessage message, boolean viaGroup) {
        CoapEndpoint.Dedup seen = endpoint.duplicateOf(session.remoteAddress(), message);
        if (seen != null) {
            endpoint.traffic.duplicates.increment();
            if (message.type() == CoapType.CON) {
                if (seen.response != null) {
                    sendRaw(seen.response);
                } else if (seen.emptyAckSent) {
                    sendRaw(CoapMessage.emptyAck(message.messageId()));
                }
            }
            return;
        }
        if (viaGroup && message.type() == CoapType.CON) {
            return; // §8.1: multicast requests are NON; a CON one is not answered
        }
        RequestInbound inbound = new RequestInbound(message, viaGroup, endpoint.remember(session.remoteAddress(), message));
        session.asServer.onRequest(inbound);
        if (!inbound.isAnswered() && inbound.confirmable()) {
            inbound.acknowledgeLater();
        }
    }

    private void onAckOrReset(CoapMessage message) {
        int mid = message.messageId();
        Outgoing out = pending == null ? null : pending.remove(mid);
        if (out != null) {
            out.cancelTimer();
            if (out.delivery != null) {
                if (message.type() == CoapType.RST) {
                    out.delivery.reset();
                } else {
                    out.delivery.delivered(message);
                }
            }
            return;
        }
        if (message.type() == CoapType.RST && recentNon != null) {
            Delivery rejected = recentNon.remove(mid);
            if (rejected != null) {
                rejected.reset();
            }
        }
    }

    // ------------------------------------------------------------------------------------ down

    @Override
    public Transmission send(CoapMessage message, boolean confirmable, Delivery delivery) {
        CoapMessage m = message.withType(confirmable ? CoapType.CON : CoapType.NON).withMessageId(endpoint.nextMessageId());
        if (!confirmable) {
            sendRaw(m);
            if (delivery != null) {
                rememberNon(m.messageId(), delivery);
                delivery.delivered(null);
            }
            return Transmission.NONE;
        }
        if (pending == null) {
            pending = new HashMap<>();
        }
        Outgoing out = new Outgoing(m, delivery);
        CoapTransmission t = endpoint.config.transmission();
        long base = t.ackTimeout().toNanos();
        out.timeoutNanos = base + (long) (ThreadLocalRandom.current().nextDouble() * (t.ackRandomFactor() - 1) * base);
        Outgoing previous = pending.put(m.messageId(), out);
        if (previous != null) {
            previous.cancelTimer();
        }
        sendRaw(m);
        out.timer = endpoint.loop.schedule(out, out.timeoutNanos, TimeUnit.NANOSECONDS);
        return out;
    }

    private void rememberNon(int mid, Delivery delivery) {
        if (recentNon == null) {
            recentNon = new LinkedHashMap<>();
        }
        recentNon.put(mid, delivery);
        if (recentNon.size() > RECENT_NON) {
            Iterator<Integer> oldest = recentNon.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    private void sendRaw(CoapMessage message) {
        endpoint.link.send(message, session.sendAddress());
    }

    @Override
    public Mono<Duration> ping() {
        return Mono.create(sink -> endpoint.onLoop(() -> {
            CoapException refused = session.refuse();
            if (refused != null) {
                sink.error(refused);
                return;
            }
            long start = System.nanoTime();
            send(CoapMessage.of(CoapType.CON, CoapCode.EMPTY, 0), true, new Delivery() {
                @Override
                public void delivered(CoapMessage ack) {
                    sink.success(Duration.ofNanos(System.nanoTime() - start));
                }

                @Override
                public void reset() {
                    sink.success(Duration.ofNanos(System.nanoTime() - start));
                }

                @Override
                public void timedOut() {
                    sink.error(new CoapException(CoapErrorCode.TIMEOUT, CoapNackReason.TOO_MANY_RETRIES, "no answer to a ping of "
                            + session.remoteAddress()));
                }
            });
        }));
    }

    /** On the loop, when the session ends or is disconnected: nothing more is retransmitted. */
    void drop() {
        if (pending != null) {
            for (Outgoing o : pending.values()) {
                o.cancelTimer();
            }
            pending.clear();
        }
        recentNon = null;
    }

    /** A CON waiting for its ACK; retransmits itself with exponential back-off (§4.2). */
    private final class Outgoing implements Runnable, Transmission {
        final CoapMessage message;
        final Delivery delivery;
        long timeoutNanos;
        int retransmissions;
        ScheduledFuture<?> timer;

        Outgoing(CoapMessage message, Delivery delivery) {
            this.message = message;
            this.delivery = delivery;
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
            }
        }

        @Override
        public boolean cancel() {
            if (pending == null || !pending.remove(message.messageId(), this)) {
                return false;
            }
            cancelTimer();
            return true;
        }

        @Override
        public void run() {
            if (pending == null || pending.get(message.messageId()) != this) {
                return;
            }
            if (retransmissions >= endpoint.config.transmission().maxRetransmit()) {
                pending.remove(message.messageId());
                if (delivery != null) {
                    delivery.timedOut();
                }
                return;
            }
            retransmissions++;
            timeoutNanos *= 2;
            sendRaw(message);
            timer = endpoint.loop.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A request that came as a datagram: answered on its ACK, as a separate CON, or as a NON. */
    private final class RequestInbound extends Inbound {
        private final CoapEndpoint.Dedup entry;
        private ScheduledFuture<?> separateTimer;
        private boolean acknowledged;

        RequestInbound(CoapMessage message, boolean viaGroup, CoapEndpoint.Dedup entry) {
            super(message, viaGroup);
            this.entry = entry;
        }

        /**
         * The handler is taking its time: acknowledge when the separate-response wait has passed,
         * so the client stops retransmitting, and send the answer as a separate CON (§5.2.2).
         */
        void acknowledgeLater() {
            separateTimer = endpoint.loop.schedule(() -> {
                if (!isAnswered() && !acknowledged) {
                    acknowledged = true;
                    entry.emptyAckSent = true;
                    sendRaw(CoapMessage.emptyAck(message.messageId()));
                }
            }, endpoint.config.separateResponseAfter().toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        void answer(CoapMessage response) {
            cancelSeparate();
            if (confirmable() && !acknowledged) {
                CoapMessage out = response.withType(CoapType.ACK).withMessageId(message.messageId());
                entry.response = out;
                sendRaw(out);
            } else if (confirmable()) {
                send(response, true, null);
            } else {
                CoapMessage out = response.withType(CoapType.NON).withMessageId(endpoint.nextMessageId());
                entry.response = out;
                long leisure = endpoint.config.multicastLeisure().toNanos();
                if (viaGroup && leisure > 0) {
                    // §8.2: answers to a multicast request are spread over the leisure period.
                    endpoint.loop.schedule(() -> sendRaw(out), ThreadLocalRandom.current().nextLong(leisure), TimeUnit.NANOSECONDS);
                } else {
                    sendRaw(out);
                }
            }
        }

        @Override
        void answerNothing() {
            cancelSeparate();
            if (confirmable() && !acknowledged) {
                CoapMessage ack = CoapMessage.emptyAck(message.messageId());
                entry.response = ack;
                sendRaw(ack);
            }
        }

        private void cancelSeparate() {
            if (separateTimer != null) {
                separateTimer.cancel(false);
            }
        }
    }
}
