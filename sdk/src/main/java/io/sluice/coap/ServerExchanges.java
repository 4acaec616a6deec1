package io.sluice.coap;

import io.sluice.codec.coap.BlockOption;
import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoapMessage;
import io.sluice.codec.coap.CoapOptions;
import io.sluice.codec.coap.CoapType;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The exchange layer of one session in its server role: the option rules of RFC 7252 §5.4 and
 * §5.7, routing (§5.8, discovery of RFC 6690), the handler's answer, Block1 uploads and Block2
 * bodies (RFC 7959), and observers (RFC 7641). Requests come up from the session's message layer as
 * {@link Inbound}s, once each; answers go back down through the same {@code Inbound}, and later
 * notifications through {@link MessageLayer#send}. It knows nothing of message IDs, ACKs or frames.
 * Handlers may answer on any thread; everything else runs on the session's loop. Collections are
 * created on first use, so a session that serves one plain request keeps nothing.
 */
final class ServerExchanges {

    private static final Logger LOG = Loggers.getLogger(ServerExchanges.class);

    /** Notifications are NON, but every this-many is CON, to learn whether the observer is still there (RFC 7641 §4.5). */
    static final int CON_NOTIFICATION_EVERY = 5;
    /** The most block-wise bodies a session keeps for follow-up Block2 requests; the oldest goes first. */
    static final int BLOCK2_CACHE_PER_SESSION = 8;
    /** The most unfinished Block1 uploads one session may have. */
    static final int UPLOADS_PER_SESSION = 8;
    /** The methods of RFC 7252 §5.8 and RFC 8132 that a route can be declared for. */
    private static final Set<CoapCode> KNOWN_METHODS = Set.of(CoapCode.GET, CoapCode.POST, CoapCode.PUT,
            CoapCode.DELETE, CoapCode.FETCH, CoapCode.PATCH, CoapCode.IPATCH);

    private final SessionImpl session;
    private final CoapEndpoint endpoint;
    private Map<Long, ServerObserver> observers;
    private LinkedHashMap<String, Upload> uploads;
    private LinkedHashMap<String, CachedBody> block2Cache;

    ServerExchanges(SessionImpl session) {
        this.session = session;
        this.endpoint = session.endpoint;
    }

    // ------------------------------------------------------------------ requests

    /** A request the message layer took (deduplicated, if its transport needs that). */
    void onRequest(Inbound inbound) {
        CoapMessage message = inbound.message;
        if (endpoint.traffic.timed()) {
            inbound.receivedNanos = System.nanoTime();
        }
        CoapTracing tracing = endpoint.config.tracing();
        if (tracing.enabled()) {
            inbound.observation = tracing.startServer(message.code(), endpoint.protocol);
        }
        int previous = -1;
        for (CoapOptions.Option option : message.options().all()) {
            int n = option.number();
            // RFC 7252 §5.4.1, §5.4.3 and §5.4.5: an unknown option, one whose length is out of its
            // range, and each extra occurrence of a non-repeatable option are all "unrecognized";
            // critical ones earn 4.02, elective ones are ignored.
            boolean bad = !CoapOptions.isKnown(n) || !CoapOptions.isLengthValid(n, option.value().length)
                    || (n == previous && !CoapOptions.isRepeatable(n));
            if (bad && CoapOptions.isCritical(n)) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("unrecognized critical option "
                        + CoapOptions.name(n) + " (" + n + ")" + (n == previous ? ", repeated" : "")), -1);
                return;
            }
            previous = n;
        }
        CoapOptions options = message.options();
        if (options.has(CoapOptions.PROXY_URI) || options.has(CoapOptions.PROXY_SCHEME)) {
            // RFC 7252 §5.7.2: a server that is not a forward-proxy answers 5.05.
            respond(inbound, CoapResponse.of(CoapCode.PROXYING_NOT_SUPPORTED).body("this server is not a proxy"), -1);
            return;
        }
        long announced = options.uint(CoapOptions.SIZE1).orElse(-1L);
        if (announced > endpoint.config.maxBodyBytes()) {
            // RFC 7959 §4: a Size1 above what the server takes is refused before any block arrives.
            respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_TOO_LARGE)
                    .options(o -> o.setUint(CoapOptions.SIZE1, endpoint.config.maxBodyBytes())), -1);
            return;
        }
        long observe = options.observe();
        if (observe == 1) {
            deregisterObserver(message.tokenAsLong());
        }
        byte[] body = message.payload();
        if (options.has(CoapOptions.BLOCK1)) {
            BlockOption block1;
            try {
                block1 = options.block1().orElseThrow();
            } catch (IllegalArgumentException e) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("malformed Block1"), -1);
                return;
            }
            body = receiveBlock1(inbound, block1);
            if (body == null) {
                return; // answered: 2.31 Continue, 4.08 or 4.13
            }
        }
        CoapRequest request = CoapRequest.received(message.code(), options, body, message.type() == CoapType.CON);
        BlockOption block2 = null;
        if (options.has(CoapOptions.BLOCK2)) {
            try {
                block2 = options.block2().orElseThrow();
            } catch (IllegalArgumentException e) {
                respond(inbound, CoapResponse.of(CoapCode.BAD_OPTION).body("malformed Block2"), -1);
                return;
            }
            if (block2.num() > 0 && answerFromBlockCache(inbound, request, block2)) {
                return;
            }
        }
        route(inbound, request);
    }

    private void route(Inbound inbound, CoapRequest request) {
        if (!KNOWN_METHODS.contains(request.method())) {
            // RFC 7252 §5.8: an unrecognized method is 4.05 whatever the path.
            respond(inbound, CoapResponse.of(CoapCode.METHOD_NOT_ALLOWED).body("method " + request.method() + " is not recognized"), -1);
            return;
        }
        CoapRoutes routes = endpoint.config.routes();
        String path = request.path();
        CoapRoutes.Route match = null;
        boolean pathKnown = false;
        if (routes != null) {
            for (CoapRoutes.Route r : routes.routes()) {
                if (r.matchesPath(path)) {
                    pathKnown = true;
                    if (r.method().equals(request.method()) || (r.observable() != null && request.method().equals(CoapCode.FETCH))) {
                        match = r;
                        break;
                    }
                }
            }
        }
        if (match == null && !pathKnown && routes != null && path.equals(CoapRoutes.WELL_KNOWN_CORE)) {
            respond(inbound, request.method().equals(CoapCode.GET) ? routes.discovery(request)
                    : CoapResponse.of(CoapCode.METHOD_NOT_ALLOWED), -1);
            return;
        }
        if (match == null) {
            respond(inbound, CoapResponse.of(pathKnown ? CoapCode.METHOD_NOT_ALLOWED : CoapCode.NOT_FOUND), -1);
            return;
        }
        CoapServerRequest serverRequest = new CoapServerRequest(request, session, match.remainder(path));
        boolean blockFollowUp = request.options().block2().map(b -> b.num() > 0).orElse(false);
        if (match.observable() != null && request.options().observe() == 0 && !inbound.viaGroup && !blockFollowUp) {
            registerObserver(inbound, match.observable(), serverRequest);
            return;
        }
        CoapOptions options = request.options();
        EtagLookup lookup = options.has(CoapOptions.IF_MATCH) || options.has(CoapOptions.IF_NONE_MATCH) ? routes.etagLookup(match) : null;
        CoapRoutes.Route route = match;
        Mono<CoapResponse> answer = endpoint.config.tracing().around(inbound.observation, () -> lookup == null ? invoke(route, serverRequest)
                // RFC 7252 §5.10.8: a condition that does not hold means the method is not performed.
                : Mono.defer(() -> lookup.current(serverRequest)).map(Optional::of).defaultIfEmpty(Optional.empty())
                        .flatMap(current -> serverRequest.preconditionsHold(current.orElse(null)) ? invoke(route, serverRequest)
                                : Mono.just(CoapResponse.of(CoapCode.PRECONDITION_FAILED))));
        answerWith(inbound, request, answer);
    }

    private static Mono<CoapResponse> invoke(CoapRoutes.Route route, CoapServerRequest request) {
        try {
            return route.handler() != null ? route.handler().handle(request) : route.observable().observe(request).next();
        } catch (RuntimeException e) {
            return Mono.error(e);
        }
    }

    /** Answers with what the handler's {@code Mono} gives, or the method's default code when it completes empty. */
    private void answerWith(Inbound inbound, CoapRequest request, Mono<CoapResponse> answer) {
        if (answer == null) {
            answer = Mono.error(new NullPointerException("handler returned null"));
        }
        answer.subscribe(new BaseSubscriber<CoapResponse>() {
            private boolean answered;

            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                subscription.request(1);
            }

            @Override
            protected void hookOnNext(CoapResponse value) {
                answered = true;
                endpoint.onLoop(() -> respond(inbound, value, -1));
            }

            @Override
            protected void hookOnComplete() {
                if (!answered) {
                    endpoint.onLoop(() -> respond(inbound, CoapResponse.of(defaultCode(request.method())), -1));
                }
            }

            @Override
            protected void hookOnError(Throwable error) {
                LOG.debug("CoAP handler for {} failed", request, error);
                endpoint.onLoop(() -> respond(inbound, CoapResponse.of(CoapCode.INTERNAL_SERVER_ERROR)
                        .body(String.valueOf(error.getMessage())), -1));
            }
        });
    }

    static CoapCode defaultCode(CoapCode method) {
        if (method.equals(CoapCode.POST) || method.equals(CoapCode.PUT) || method.equals(CoapCode.PATCH) || method.equals(CoapCode.IPATCH)) {
            return CoapCode.CHANGED;
        }
        if (method.equals(CoapCode.DELETE)) {
            return CoapCode.DELETED;
        }
        return CoapCode.CONTENT;
    }

    /**
     * Answers {@code inbound} with {@code response}, shaped here (token, Observe, Block1
     * acknowledgement, Block2 slice) and carried as the message layer decides; nothing is sent where
     * No-Response (RFC 7967) or multicast (RFC 7252 §8.2) says so. Once per request.
     *
     * @param observeSeq the Observe value to carry, or -1
     */
    void respond(Inbound inbound, CoapResponse response, long observeSeq) {
        if (!inbound.claim()) {
            return;
        }
        if (session.isFreed()) {
            endpoint.config.tracing().stop(inbound.observation, CoapTraffic.NO_RESPONSE, null);
            return;
        }
        CoapMessage request = inbound.message;
        int codeClass = response.code().codeClass();
        endpoint.config.tracing().stop(inbound.observation, codeClass, null);
        if (endpoint.traffic.timed()) {
            endpoint.traffic.request(request.code(), codeClass, System.nanoTime() - inbound.receivedNanos);
        }
        int noResponse = request.options().noResponse();
        boolean suppressed = (codeClass == 2 && (noResponse & 2) != 0) || (codeClass == 4 && (noResponse & 8) != 0)
                || (codeClass == 5 && (noResponse & 16) != 0) || (inbound.viaGroup && codeClass != 2);
        if (suppressed) {
            inbound.answerNothing();
        } else {
            inbound.answer(shape(request, observeSeq < 0 ? negotiated(request, response) : response, observeSeq, inbound.block1Ack));
        }
    }

    /**
     * What a 2.05 answer to a GET or FETCH becomes under the request's Accept and ETag options: 4.06
     * when its Content-Format is not the one accepted (RFC 7252 §5.10.4), 2.03 Valid without a body
     * when its ETag is one the client already has (§5.10.6.2).
     */
    private static CoapResponse negotiated(CoapMessage request, CoapResponse response) {
        if (!response.code().equals(CoapCode.CONTENT)) {
            return response;
        }
        CoapOptions asked = request.options();
        int accept = asked.accept();
        int format = response.options().contentFormat();
        if (accept >= 0 && format >= 0 && accept != format) {
            return CoapResponse.of(CoapCode.NOT_ACCEPTABLE).body("the representation is Content-Format " + format + ", not " + accept);
        }
        List<byte[]> known = asked.etags();
        if (!known.isEmpty() && (request.code().equals(CoapCode.GET) || request.code().equals(CoapCode.FETCH))) {
            for (byte[] etag : response.options().etags()) {
                for (byte[] k : known) {
                    if (Arrays.equals(etag, k)) {
                        return CoapResponse.of(CoapCode.VALID).options(o -> response.options().toBuilder().remove(CoapOptions.CONTENT_FORMAT));
                    }
                }
            }
        }
        return response;
    }

    // ------------------------------------------------------------------ block-wise

    /** An unfinished Block1 upload. */
    static final class Upload {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
    }

    private static String requestKey(CoapMessage request) {
        CoapOptions o = request.options();
        StringBuilder key = new StringBuilder().append(request.code().value()).append(' ').append(o.uriPath()).append('?').append(o.uriQuery());
        for (CoapOptions.Option tag : o.all(CoapOptions.REQUEST_TAG)) {
            key.append('#').append(Arrays.toString(tag.value()));
        }
        return key.toString();
    }

    /** Takes one Block1 block; returns the whole body after the last block, or null after answering. */
    byte[] receiveBlock1(Inbound inbound, BlockOption block) {
        String key = requestKey(inbound.message);
        if (uploads == null) {
            uploads = new LinkedHashMap<>();
        }
        Upload upload = uploads.get(key);
        if (block.num() == 0) {
            upload = new Upload();
            uploads.put(key, upload);
            endpoint.adopt(session);
            while (uploads.size() > UPLOADS_PER_SESSION) {
                Iterator<String> oldest = uploads.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        if (upload == null || block.offset() != upload.body.size()) {
            uploads.remove(key);
            respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_INCOMPLETE)
                    .body("block " + block + " does not follow what was received"), -1);
            return null;
        }
        if (upload.body.size() + inbound.message.payloadLength() > endpoint.config.maxBodyBytes()) {
            uploads.remove(key);
            respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_TOO_LARGE)
                    .options(o -> o.setUint(CoapOptions.SIZE1, endpoint.config.maxBodyBytes())), -1);
            return null;
        }
        upload.body.write(inbound.message.payloadArray(), 0, inbound.message.payloadLength());
        // A BERT block (SZX 7, RFC 8323 §6) stays BERT: the CSM said Block-Wise-Transfer, and the
        // client counts its next block number in 1024-byte units of what it sent.
        int szx = block.szx() == 7 && endpoint.reliable ? 7 : Math.min(block.szx(), endpoint.config.blockSzx());
        if (block.more()) {
            if (block.size() > endpoint.config.blockSize() && block.num() > 0) {
                uploads.remove(key);
                respond(inbound, CoapResponse.of(CoapCode.REQUEST_ENTITY_INCOMPLETE).body("block size above the agreed one"), -1);
                return null;
            }
            respond(inbound, CoapResponse.of(CoapCode.CONTINUE).options(o -> o.block1(new BlockOption(block.num(), true, szx))), -1);
            return null;
        }
        uploads.remove(key);
        inbound.block1Ack = new BlockOption(block.num(), false, block.szx());
        return upload.body.toByteArray();
    }

    /** Answers a Block2 follow-up from the body cached when block 0 went out; false when nothing is cached. */
    boolean answerFromBlockCache(Inbound inbound, CoapRequest request, BlockOption block2) {
        if (block2Cache == null) {
            return false;
        }
        String key = requestKey(inbound.message.withOptions(inbound.message.options().toBuilder().remove(CoapOptions.BLOCK2).build()));
        CachedBody cached = block2Cache.get(key);
        if (cached == null) {
            return false;
        }
        respond(inbound, CoapResponse.received(cached.code(), cached.options(), cached.body(), null), -1);
        return true;
    }

    /** A response body kept for Block2 follow-ups, with the code and options it went out with. */
    private record CachedBody(CoapCode code, CoapOptions options, byte[] body) {
    }

    /** Builds the response message for {@code request}: token, options, Observe, Block1 acknowledgement, Block2 slicing. Type and ID are the caller's. */
    CoapMessage shape(CoapMessage request, CoapResponse response, long observeSeq, BlockOption block1Ack) {
        CoapOptions.Builder options = response.options().toBuilder();
        if (observeSeq >= 0) {
            options.observe(observeSeq);
        }
        if (block1Ack != null) {
            options.block1(block1Ack);
        }
        byte[] body = response.bodyArray();
        int size = endpoint.config.blockSize();
        int num = 0;
        BlockOption asked = null;
        try {
            asked = request.options().block2().orElse(null);
        } catch (IllegalArgumentException ignored) {
            // answered as a bad option before a handler ran
        }
        if (asked != null) {
            size = Math.min(size, asked.size());
            num = observeSeq >= 0 ? 0 : asked.num();
        }
        byte[] payload = body;
        if (request.options().has(CoapOptions.SIZE2)) {
            // RFC 7959 §4: Size2 (0) in a request asks for the representation's size, sliced or not.
            options.setUint(CoapOptions.SIZE2, body.length);
        }
        if (body.length > size || num > 0) {
            int from = num * size;
            if (from >= body.length && body.length > 0) {
                return CoapMessage.of(CoapType.ACK, CoapCode.BAD_OPTION, 0).withToken(request.token())
                        .withPayload("block " + num + " is past the end of the body");
            }
            int length = Math.min(size, body.length - from);
            boolean more = from + length < body.length;
            options.block2(new BlockOption(num, more, BlockOption.szxOf(size)));
            if (num == 0) {
                options.setUint(CoapOptions.SIZE2, body.length);
                cacheBody(request, response, body);
            }
            payload = Arrays.copyOfRange(body, from, from + length);
        }
        return CoapMessage.of(CoapType.ACK, response.code(), 0).withToken(request.token())
                .withOptions(options.build()).withPayload(payload);
    }

    private void cacheBody(CoapMessage request, CoapResponse response, byte[] body) {
        if (block2Cache == null) {
            block2Cache = new LinkedHashMap<>();
        }
        CoapMessage plain = request.withOptions(request.options().toBuilder().remove(CoapOptions.BLOCK2).remove(CoapOptions.OBSERVE).build());
        String key = requestKey(plain);
        block2Cache.put(key, new CachedBody(response.code(), response.options(), body));
        endpoint.adopt(session);
        while (block2Cache.size() > BLOCK2_CACHE_PER_SESSION) {
            Iterator<String> oldest = block2Cache.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }

    // ------------------------------------------------------------------ observers (server side)

    void registerObserver(Inbound inbound, ObservableHandler handler, CoapServerRequest request) {
        if (observers == null) {
            observers = new HashMap<>();
        }
        long token = inbound.message.tokenAsLong();
        ServerObserver previous = observers.remove(token);
        if (previous != null) {
            previous.end();
        }
        ServerObserver observer = new ServerObserver(inbound, token);
        observers.put(token, observer);
        endpoint.adopt(session);
        Flux<CoapResponse> states;
        try {
            states = handler.observe(request);
        } catch (RuntimeException e) {
            states = Flux.error(e);
        }
        // A resource faster than its observer: keep the newest states, bounded, never a backlog.
        states.onBackpressureBuffer(ClientExchanges.OBSERVE_BUFFER, dropped -> endpoint.traffic.notificationsDropped.increment(),
                        BufferOverflowStrategy.DROP_OLDEST)
                .subscribe(observer);
    }

    void deregisterObserver(long token) {
        if (observers != null) {
            ServerObserver o = observers.get(token);
            if (o != null) {
                o.end();
            }
        }
    }

    int observerCount() {
        return observers == null ? 0 : observers.size();
    }

    /** On the loop, when the session ends or is disconnected: observers end, unfinished transfers are forgotten. */
    void end() {
        if (observers != null) {
            for (ServerObserver o : new ArrayList<>(observers.values())) {
                o.end();
            }
            observers.clear();
        }
        uploads = null;
        block2Cache = null;
    }

    /**
     * One observer of one resource: takes the resource's states one at a time, the next once the
     * message layer delivered the last (over UDP a NON at once and a CON when acknowledged; over a
     * stream when the socket took it, so TCP paces a fast resource).
     */
    final class ServerObserver extends BaseSubscriber<CoapResponse> implements MessageLayer.Delivery {
        final Inbound registration;
        final long token;
        long sequence = ThreadLocalRandom.current().nextInt(2, 1 << 16);
        int sent;
        boolean ended;

        ServerObserver(Inbound registration, long token) {
            this.registration = registration;
            this.token = token;
        }

        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(CoapResponse value) {
            endpoint.onLoop(() -> notifyObserver(value));
        }

        @Override
        protected void hookOnComplete() {
            endpoint.onLoop(() -> finalNotification(CoapResponse.of(CoapCode.NOT_FOUND).body("the observed resource ended")));
        }

        @Override
        protected void hookOnError(Throwable error) {
            endpoint.onLoop(() -> finalNotification(CoapResponse.of(CoapCode.INTERNAL_SERVER_ERROR).body(String.valueOf(error.getMessage()))));
        }

        private void notifyObserver(CoapResponse value) {
            if (ended) {
                return;
            }
            if (!value.isSuccess()) {
                finalNotification(value);
                return;
            }
            sequence = (sequence + 1) & 0xFFFFFF;
            endpoint.traffic.notificationsSent.increment();
            if (sent++ == 0) {
                respond(registration, value, sequence);
                request(1);
                return;
            }
            // RFC 7641 §4.5: mostly NON, now and then a CON to learn whether the observer is still there.
            session.messages().send(shape(registration.message, value, sequence, null), sent % CON_NOTIFICATION_EVERY == 0, this);
        }

        private void finalNotification(CoapResponse value) {
            if (ended) {
                return;
            }
            if (sent++ == 0) {
                respond(registration, value, -1);
            } else {
                session.messages().send(shape(registration.message, value, -1, null), true, null);
            }
            end();
        }

        @Override
        public void delivered(CoapMessage ack) {
            if (!ended) {
                request(1);
            }
        }

        @Override
        public void reset() {
            end(); // RFC 7641 §3.6: a Reset to a notification is a deregistration
        }

        @Override
        public void timedOut() {
            end();
        }

        void end() {
            if (ended) {
                return;
            }
            ended = true;
            if (observers != null) {
                observers.remove(token, this);
            }
            dispose();
        }
    }
}
