package io.sluice.coap;

import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.codec.coap.BlockOption;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * The exchange layer of one session in its client role: the requests, observations and multicasts
 * it makes, each under its own token, with NSTART, block-wise transfers (RFC 7959, BERT of RFC 8323
 * §6) and the freshness of notifications (RFC 7641 §3.4). It hands messages to the session's
 * {@link MessageLayer} and hears back through {@link MessageLayer.Delivery} and
 * {@link #onResponse}; it knows nothing of message IDs, ACKs or frames. Public entry points hop
 * onto the session's loop; everything else runs there. Collections are created on first use.
 */
final class ClientExchanges {

    private static final long OBSERVE_WINDOW = 1L << 23;
    /** How many undelivered notifications a slow observer keeps; older ones give way to newer. */
    static final int OBSERVE_BUFFER = 32;
    private static final long OBSERVE_STALE_NANOS = TimeUnit.SECONDS.toNanos(128);

    private final SessionImpl session;
    private final CoapEndpoint endpoint;
    private Map<Long, Exchange> exchanges;
    private ArrayDeque<Exchange> waiting;
    private int inFlight;

    ClientExchanges(SessionImpl session) {
        this.session = session;
        this.endpoint = session.endpoint;
    }

    // ------------------------------------------------------------------ what the session offers

    Mono<CoapResponse> request(CoapRequest request) {
        return Mono.create(sink -> {
            Exchange ex = new Exchange(Kind.REQUEST, request);
            ex.mono = sink;
            ex.startNanos = endpoint.traffic.timed() ? System.nanoTime() : 0;
            CoapTracing tracing = endpoint.config.tracing();
            if (tracing.enabled()) {
                ex.observation = tracing.startClient(request.method(), endpoint.protocol, sink.contextView());
            }
            sink.onCancel(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> start(ex));
        });
    }

    Flux<CoapResponse> observe(CoapRequest request) {
        return Flux.<CoapResponse>create(sink -> {
            Exchange ex = new Exchange(Kind.OBSERVE, request);
            ex.flux = sink;
            sink.onDispose(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> start(ex));
        }, FluxSink.OverflowStrategy.BUFFER)
                // Notifications are states: a subscriber without demand keeps the newest, never a backlog.
                .onBackpressureBuffer(OBSERVE_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST);
    }

    Flux<CoapResponse> multicast(CoapRequest request, Duration window) {
        return Flux.create(sink -> {
            Exchange ex = new Exchange(Kind.MULTICAST, request.nonConfirmable());
            ex.flux = sink;
            sink.onDispose(() -> endpoint.onLoop(ex::cancel));
            endpoint.onLoop(() -> {
                if (!session.isMulticast()) {
                    ex.fail(new CoapException(CoapErrorCode.WRONG_TYPE, null, "the session with " + session.remoteAddress()
                            + " is not a multicast session; connect to a group address to multicast"));
                    return;
                }
                start(ex);
                if (!ex.finished) {
                    endpoint.loop.schedule(ex::completeWindow, window.toNanos(), TimeUnit.NANOSECONDS);
                }
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    /** On the loop, when the session ends or is disconnected: every exchange fails with {@code why}. */
    void fail(CoapException why) {
        if (waiting != null) {
            List<Exchange> queued = new ArrayList<>(waiting);
            waiting.clear();
            queued.forEach(ex -> ex.fail(why));
        }
        if (exchanges != null) {
            for (Exchange ex : new ArrayList<>(exchanges.values())) {
                ex.fail(why);
            }
            exchanges.clear();
        }
        inFlight = 0;
    }

    // ------------------------------------------------------------------ exchanges

    enum Kind { REQUEST, OBSERVE, MULTICAST, BLOCKS }

    final class Exchange implements MessageLayer.Delivery {
        final Kind kind;
        final CoapRequest request;
        long token;
        byte[] tokenBytes;
        MonoSink<CoapResponse> mono;
        FluxSink<CoapResponse> flux;
        Exchange parent;
        CoapOptions parentOptions;
        boolean finished;
        boolean registered;
        boolean holdsSlot;
        MessageLayer.Transmission transmission = MessageLayer.Transmission.NONE;
        ScheduledFuture<?> responseTimer;
        /** Over a datagram transport: when the last notification stops being fresh (its Max-Age). */
        ScheduledFuture<?> freshnessTimer;
        int block1Offset;
        int block1Size;
        int block1Sent;
        boolean block1Done;
        int block2Num;
        int block2Szx = -1;
        ByteArrayOutputStream assembly;
        long lastObserve = -1;
        long lastObserveAt;
        /** When a timed request started (0: not timed). */
        long startNanos;
        /** The client's observation of a request, or null. */
        Object observation;

        Exchange(Kind kind, CoapRequest request) {
            this.kind = kind;
            this.request = request;
            this.block1Size = endpoint.config.blockSize();
            this.block1Done = request.bodyLength() <= block1Size;
        }

        boolean confirmable() {
            return request.isConfirmable() && kind != Kind.MULTICAST;
        }

        CoapMessage nextMessage() {
            CoapOptions.Builder options = request.options().toBuilder();
            byte[] body = request.bodyArray();
            byte[] payload = body;
            if (kind == Kind.OBSERVE && block2Num == 0) {
                options.observe(0);
            }
            if (kind == Kind.BLOCKS) {
                options.remove(CoapOptions.OBSERVE);
            }
            if (!block1Done) {
                int length = Math.min(block1Size, body.length - block1Offset);
                boolean more = block1Offset + length < body.length;
                options.block1(new BlockOption(block1Offset / block1Size, more, BlockOption.szxOf(block1Size)));
                if (block1Offset == 0) {
                    options.setUint(CoapOptions.SIZE1, body.length);
                }
                payload = Arrays.copyOfRange(body, block1Offset, block1Offset + length);
                block1Sent = length;
            } else if (block2Num > 0 || block2Szx >= 0) {
                payload = new byte[0];
            }
            if (block2Num > 0) {
                options.block2(new BlockOption(block2Num, false, block2Szx));
            } else if (block1Done && endpoint.config.blockSize() < 1024 && request.bodyLength() == 0) {
                // Ask for our block size up front (RFC 7959 §2.4, early negotiation).
                options.block2(new BlockOption(0, false, endpoint.config.blockSzx()));
            }
            return CoapMessage.of(CoapType.CON, request.method(), 0)
                    .withToken(tokenBytes).withOptions(options.build()).withPayload(payload);
        }

        @Override
        public void delivered(CoapMessage ack) {
            releaseSlot(this);
            if (finished) {
                return;
            }
            if (ack == null || ack.isEmpty()) {
                armResponseTimer();  // a separate response will follow
            } else {
                handleResponse(this, ack);
            }
        }

        @Override
        public void reset() {
            if (kind == Kind.MULTICAST) {
                return; // one member of the group rejecting the request does not end the others' answers
            }
            releaseSlot(this);
            fail(new CoapException(CoapErrorCode.RESET, CoapNackReason.RST, session.remoteAddress() + " reset " + request));
        }

        @Override
        public void timedOut() {
            releaseSlot(this);
            fail(new CoapException(CoapErrorCode.TIMEOUT, CoapNackReason.TOO_MANY_RETRIES, request + " to " + session.remoteAddress()
                    + " was not acknowledged after " + endpoint.config.transmission().maxRetransmit() + " retransmissions"));
        }

        void armResponseTimer() {
            if (responseTimer != null || kind == Kind.MULTICAST || (kind == Kind.OBSERVE && registered)) {
                return;
            }
            responseTimer = endpoint.loop.schedule(() -> fail(new CoapException(CoapErrorCode.TIMEOUT, null,
                    "no response to " + request + " from " + session.remoteAddress() + " within " + endpoint.config.responseTimeout())),
                    endpoint.config.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        void emit(CoapResponse response) {
            if (mono != null) {
                finish();
                ended(response.code().codeClass(), null);
                mono.success(response);
            } else if (flux != null) {
                flux.next(response);
            } else if (parent != null) {
                finish();
                parent.deliverAssembled(response, parentOptions);
            }
        }

        void deliverAssembled(CoapResponse response, CoapOptions firstOptions) {
            if (finished) {
                return;
            }
            CoapResponse merged = CoapResponse.received(response.code(), firstOptions, response.bodyArray(), response.source().orElse(null));
            if (kind == Kind.OBSERVE) {
                flux.next(merged);
            } else {
                emit(merged);
            }
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            if (exchanges != null && registered) {
                exchanges.remove(token, this);
            }
            if (responseTimer != null) {
                responseTimer.cancel(false);
            }
            if (freshnessTimer != null) {
                freshnessTimer.cancel(false);
            }
            transmission.cancel();
            releaseSlot(this);
            if (waiting != null) {
                waiting.remove(this);
            }
        }

        void fail(Throwable error) {
            if (finished) {
                return;
            }
            finish();
            if (mono != null) {
                ended(CoapTraffic.NO_RESPONSE, error);
                mono.error(error);
            } else if (flux != null) {
                flux.error(error);
            } else if (parent != null) {
                parent.fail(error);
            }
        }

        /** The request got its answer (or none): timed, and its observation stopped; once. */
        private void ended(int responseClass, Throwable error) {
            if (startNanos != 0) {
                endpoint.traffic.request(request.method(), responseClass, System.nanoTime() - startNanos);
                startNanos = 0;
            }
            Object o = observation;
            observation = null;
            endpoint.config.tracing().stop(o, responseClass, error);
        }

        void completeWindow() {
            if (!finished) {
                finish();
                flux.complete();
            }
        }

        void cancel() {
            if (finished) {
                return;
            }
            boolean deregister = kind == Kind.OBSERVE && registered && session.state() == CoapSessionState.ESTABLISHED;
            ended(CoapTraffic.NO_RESPONSE, null);
            finish();
            if (deregister) {
                // RFC 7641 §3.6: deregister explicitly with a GET carrying Observe: 1 and the same token.
                CoapMessage m = CoapMessage.of(CoapType.CON, request.method(), 0).withToken(tokenBytes)
                        .withOptions(request.options().toBuilder().observe(1).build()).withPayload(request.bodyArray());
                session.messages().send(m, true, null);
            }
        }
    }

    private void start(Exchange ex) {
        CoapException refused = session.refuse();
        if (refused != null) {
            ex.fail(refused);
            return;
        }
        if (ex.request.bodyLength() > endpoint.config.maxBodyBytes()) {
            ex.fail(new CoapException(CoapErrorCode.TOO_LARGE, null, "a body of " + ex.request.bodyLength()
                    + " bytes exceeds the maximum of " + endpoint.config.maxBodyBytes()));
            return;
        }
        register(ex);
        transmit(ex);
    }

    private void register(Exchange ex) {
        if (exchanges == null) {
            exchanges = new HashMap<>();
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long token;
        do {
            token = random.nextLong();
        } while (exchanges.containsKey(token));
        ex.token = token;
        ex.tokenBytes = new byte[] {(byte) (token >>> 56), (byte) (token >>> 48), (byte) (token >>> 40), (byte) (token >>> 32),
                (byte) (token >>> 24), (byte) (token >>> 16), (byte) (token >>> 8), (byte) token};
        exchanges.put(token, ex);
        ex.registered = true;
        endpoint.adopt(session);
    }

    private void transmit(Exchange ex) {
        if (ex.finished) {
            return;
        }
        if (ex.confirmable()) {
            if (inFlight >= endpoint.config.transmission().nstart()) {
                if (waiting == null) {
                    waiting = new ArrayDeque<>();
                }
                if (waiting.size() >= endpoint.config.maxQueuedRequests()) {
                    ex.fail(new CoapException(CoapErrorCode.QUEUE_FULL, null, waiting.size() + " requests already wait for NSTART "
                            + endpoint.config.transmission().nstart() + " to " + session.remoteAddress()));
                    return;
                }
                waiting.add(ex);
                return;
            }
            inFlight++;
            ex.holdsSlot = true;
        }
        ex.transmission = session.messages().send(ex.nextMessage(), ex.confirmable(), ex);
    }

    private void releaseSlot(Exchange ex) {
        if (!ex.holdsSlot) {
            return;
        }
        ex.holdsSlot = false;
        inFlight--;
        while (waiting != null && !waiting.isEmpty() && inFlight < endpoint.config.transmission().nstart()) {
            transmit(waiting.poll());
        }
    }

    /**
     * A response from the peer (piggy-backed ones come through {@link Exchange#delivered}).
     *
     * @return false when no exchange waits for it: the message layer rejects it if it can (RFC 7252 §5.3.2)
     */
    boolean onResponse(CoapMessage message) {
        Exchange ex = exchanges == null ? null : exchanges.get(message.tokenAsLong());
        if (ex == null || ex.finished || message.tokenLength() != 8) {
            return false;
        }
        // A separate response also acknowledges the request it answers (the empty ACK may be lost).
        if (ex.transmission.cancel()) {
            releaseSlot(ex);
        }
        handleResponse(ex, message);
        return true;
    }

    private void handleResponse(Exchange ex, CoapMessage message) {
        CoapOptions options = message.options();
        BlockOption block1;
        BlockOption block2;
        try {
            block1 = options.block1().orElse(null);
            block2 = options.block2().orElse(null);
        } catch (IllegalArgumentException e) {
            ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE, "malformed block option from " + session.remoteAddress()));
            return;
        }
        if (!ex.block1Done) {
            if (message.code().equals(CoapCode.CONTINUE) && block1 != null) {
                ex.block1Offset += ex.block1Sent;
                ex.block1Size = Math.min(ex.block1Size, block1.size());
                if (ex.block1Offset % ex.block1Size != 0) {
                    ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE,
                            "block size change to " + ex.block1Size + " does not fit offset " + ex.block1Offset));
                    return;
                }
                if (ex.block1Offset >= ex.request.bodyLength()) {
                    ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE,
                            session.remoteAddress() + " asked to continue past the end of the body"));
                    return;
                }
                transmit(ex);
                return;
            }
            ex.block1Done = true;
        }
        InetSocketAddress source = session.remoteAddress();
        if (block2 != null && message.code().isSuccess()) {
            if (ex.kind == Kind.OBSERVE && block2.num() == 0 && block2.more()) {
                // RFC 7959 §3.4: the rest of a large notification is fetched with plain GETs under a new token.
                if (!acceptNotification(ex, options)) {
                    return;
                }
                Exchange blocks = new Exchange(Kind.BLOCKS, ex.request.options(o -> o.remove(CoapOptions.OBSERVE)));
                blocks.parent = ex;
                blocks.parentOptions = options;
                blocks.block1Done = true;
                blocks.assembly = new ByteArrayOutputStream();
                blocks.assembly.write(message.payloadArray(), 0, message.payloadLength());
                blocks.block2Num = message.payloadLength() / block2.size();
                blocks.block2Szx = block2.szx();
                register(blocks);
                transmit(blocks);
                return;
            }
            if (ex.assembly == null || block2.num() == 0) {
                ex.assembly = new ByteArrayOutputStream();
            }
            if (block2.offset() != ex.assembly.size()) {
                ex.fail(new CoapException(CoapErrorCode.BAD_RESPONSE, CoapNackReason.BAD_RESPONSE, "block " + block2
                        + " from " + session.remoteAddress() + " does not follow the " + ex.assembly.size() + " bytes received"));
                return;
            }
            if (ex.assembly.size() + message.payloadLength() > endpoint.config.maxBodyBytes()) {
                ex.fail(new CoapException(CoapErrorCode.TOO_LARGE, null, "the response body from " + session.remoteAddress()
                        + " exceeds the maximum of " + endpoint.config.maxBodyBytes() + " bytes"));
                return;
            }
            ex.assembly.write(message.payloadArray(), 0, message.payloadLength());
            if (block2.more()) {
                // Counted in units of the block size: a BERT block (szx 7, RFC 8323 §6) carries several.
                ex.block2Num = ex.assembly.size() / block2.size();
                ex.block2Szx = block2.szx();
                transmit(ex);
                return;
            }
            byte[] body = ex.assembly.toByteArray();
            ex.assembly = null;
            ex.block2Num = 0;
            // The caller sees one body: no Block2, and Size2 saying how large it is.
            CoapOptions whole = options.toBuilder().remove(CoapOptions.BLOCK2).setUint(CoapOptions.SIZE2, body.length).build();
            deliver(ex, CoapResponse.received(message.code(), whole, body, source));
            return;
        }
        deliver(ex, CoapResponse.received(message.code(), options, message.payloadArray(), source));
    }

    /**
     * RFC 7641 §3.3.1: a notification is fresh for its Max-Age. Most notifications are NON and may be
     * lost, the last of a burst among them; when Max-Age passes without a newer one, the client
     * registers again under the same token and so hears the current state. Max-Age 0 promises
     * nothing and arms nothing.
     */
    private void armReRegistration(Exchange ex, long maxAgeSeconds) {
        if (ex.freshnessTimer != null) {
            ex.freshnessTimer.cancel(false);
            ex.freshnessTimer = null;
        }
        if (maxAgeSeconds <= 0) {
            return;
        }
        // Half an ACK_TIMEOUT past the age: a notification the server sends as the age runs out wins.
        long delay = TimeUnit.SECONDS.toNanos(maxAgeSeconds) + endpoint.config.transmission().ackTimeout().toNanos() / 2;
        ex.freshnessTimer = endpoint.loop.schedule(() -> reRegister(ex, maxAgeSeconds), delay, TimeUnit.NANOSECONDS);
    }

    private void reRegister(Exchange ex, long maxAgeSeconds) {
        if (ex.finished || session.state() != CoapSessionState.ESTABLISHED) {
            return;
        }
        ex.lastObserve = -1; // the server numbers the new registration's notifications afresh
        CoapMessage m = CoapMessage.of(CoapType.CON, ex.request.method(), 0).withToken(ex.tokenBytes)
                .withOptions(ex.request.options().toBuilder().observe(0).build()).withPayload(ex.request.bodyArray());
        // The exchange is the delivery, as for its first request: an ACK carrying the answer is handled,
        // an empty one waits for the separate response, Reset and timeout end the observation; and
        // cancelling the observation stops this message's retransmission.
        ex.transmission = session.messages().send(m, true, ex);
        armReRegistration(ex, maxAgeSeconds); // should the answer be lost too
    }

    private boolean acceptNotification(Exchange ex, CoapOptions options) {
        long v2 = options.observe();
        long now = System.nanoTime();
        // RFC 8323 §7.1: a reliable transport delivers in order, so every notification is the freshest.
        if (ex.lastObserve >= 0 && v2 >= 0 && !endpoint.reliable) {
            long v1 = ex.lastObserve;
            boolean fresh = (v1 < v2 && v2 - v1 < OBSERVE_WINDOW) || (v1 > v2 && v1 - v2 > OBSERVE_WINDOW)
                    || now - ex.lastObserveAt > OBSERVE_STALE_NANOS;
            if (!fresh) {
                return false; // RFC 7641 §3.4: an older notification that arrived late
            }
        }
        if (v2 >= 0) {
            ex.lastObserve = v2;
            ex.lastObserveAt = now;
        }
        return true;
    }

    private void deliver(Exchange ex, CoapResponse response) {
        switch (ex.kind) {
            case OBSERVE -> {
                if (response.observe() >= 0 && response.isSuccess()) {
                    if (ex.responseTimer != null) {
                        ex.responseTimer.cancel(false);
                        ex.responseTimer = null;
                    }
                    if (acceptNotification(ex, response.options())) {
                        ex.flux.next(response);
                        if (!endpoint.reliable) {
                            armReRegistration(ex, response.options().maxAge());
                        }
                    }
                } else {
                    ex.finish();
                    ex.flux.next(response);
                    ex.flux.complete();
                }
            }
            case MULTICAST -> ex.flux.next(response);
            default -> ex.emit(response);
        }
    }

}
