package io.sluice.peer;

import static io.sluice.peer.TestProtocol.ASK_BACK;
import static io.sluice.peer.TestProtocol.CALLBACK;
import static io.sluice.peer.TestProtocol.ECHO;
import static io.sluice.peer.TestProtocol.PROTOCOL;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.sluice.codec.Limits;
import io.sluice.codec.call.CallFrame;
import io.sluice.codec.call.CallFrameCodec;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Trace context across peers: with an OpenTelemetry tracer behind Micrometer's Observation API, a
 * call and the nested call its handler makes form one trace, the context crossing each connection
 * as W3C traceparent in the REQUEST metadata; a peer that predates metadata is never sent any.
 */
class PeerTracingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<SpanData> spans = new CopyOnWriteArrayList<>();
    private final CountDownLatch fourSpans = new CountDownLatch(4);
    private final List<LivePeer> peers = new CopyOnWriteArrayList<>();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().setSampler(Sampler.alwaysOn())
                    .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
                        @Override
                        public CompletableResultCode export(Collection<SpanData> ended) {
                            spans.addAll(ended);
                            ended.forEach(s -> fourSpans.countDown());
                            return CompletableResultCode.ofSuccess();
                        }

                        @Override
                        public CompletableResultCode flush() {
                            return CompletableResultCode.ofSuccess();
                        }

                        @Override
                        public CompletableResultCode shutdown() {
                            return CompletableResultCode.ofSuccess();
                        }
                    })).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();

    @AfterEach
    void stop() {
        peers.forEach(p -> p.disposeNow(TIMEOUT));
        otel.close();
    }

    private ObservationRegistry tracing() {
        io.opentelemetry.api.trace.Tracer otelTracer = otel.getTracer("sluice-test");
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        OtelTracer tracer = new OtelTracer(otelTracer, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
        OtelPropagator propagator = new OtelPropagator(otel.getPropagators(), otelTracer);
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
        return registry;
    }

    private LivePeer start(Peer spec) {
        LivePeer peer = spec.start().block(TIMEOUT);
        peers.add(peer);
        return peer;
    }

    @Test
    void aCallAndTheNestedCallItsHandlerMakesFormOneTraceAcrossBothConnections() throws InterruptedException {
        ObservationRegistry registry = tracing();
        LivePeer server = start(Peer.create(PROTOCOL).observations(registry)
                .dispatch(Dispatch.create().handle(ASK_BACK, (call, text) -> call.session().call(CALLBACK, text).map(a -> "client said " + a)))
                .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
        PeerSession client = start(Peer.create(PROTOCOL).observations(registry)
                .dispatch(Dispatch.create().handle(CALLBACK, (call, text) -> Mono.just(text.toUpperCase())))
                .connectTo(PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0)))).connect();

        StepVerifier.create(client.call(ASK_BACK, "hi")).expectNext("client said HI").expectComplete().verify(TIMEOUT);
        assertThat(fourSpans.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("spans ended: %s", spans).isTrue();

        Map<String, SpanData> byName = spans.stream().collect(Collectors.toMap(SpanData::getName, Function.identity()));
        assertThat(byName).containsOnlyKeys("ask-back call", "ask-back handler", "callback call", "callback handler");
        SpanData askCall = byName.get("ask-back call");
        SpanData askHandler = byName.get("ask-back handler");
        SpanData callbackCall = byName.get("callback call");
        SpanData callbackHandler = byName.get("callback handler");
        assertThat(spans).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(askCall.getTraceId()));
        assertThat(askCall.getParentSpanContext().isValid()).as("the first call starts the trace").isFalse();
        assertThat(askHandler.getParentSpanId()).as("server span, from the traceparent the REQUEST carried").isEqualTo(askCall.getSpanId());
        assertThat(askHandler.getParentSpanContext().isRemote()).isTrue();
        assertThat(callbackCall.getParentSpanId()).as("the handler's own call, from its Reactor context").isEqualTo(askHandler.getSpanId());
        assertThat(callbackHandler.getParentSpanId()).isEqualTo(callbackCall.getSpanId());
        assertThat(callbackHandler.getParentSpanContext().isRemote()).isTrue();
        assertThat(askCall.getAttributes().asMap().toString()).contains("direction=outgoing", "type=ask-back", "status=OK");
    }

    /**
     * With io.micrometer:context-propagation and Reactor's automatic propagation on, the handler's
     * observation is the current one on whatever thread its chain runs, not only in its context.
     */
    @Test
    void withAutomaticContextPropagationTheHandlersObservationIsCurrentOnItsThreads() {
        ObservationRegistry registry = tracing();
        reactor.core.publisher.Hooks.enableAutomaticContextPropagation();
        try {
            LivePeer server = start(Peer.create(PROTOCOL).observations(registry)
                    .dispatch(Dispatch.create().handle(ECHO, (call, text) -> Mono.just(text)
                            .publishOn(reactor.core.scheduler.Schedulers.boundedElastic())
                            .map(t -> {
                                io.micrometer.observation.Observation current = registry.getCurrentObservation();
                                return current == null ? "none" : current.getContext().getName() + " on "
                                        + (Thread.currentThread().getName().startsWith("boundedElastic") ? "elastic" : "loop");
                            })))
                    .listen(PeerEndpoint.tcp("127.0.0.1", 0)));
            PeerSession client = start(Peer.create(PROTOCOL)
                    .connectTo(PeerEndpoint.tcp((InetSocketAddress) server.listenAddresses().get(0)))).connect();
            StepVerifier.create(client.call(ECHO, "x")).expectNext("sluice.peer.call on elastic").expectComplete().verify(TIMEOUT);
        } finally {
            reactor.core.publisher.Hooks.disableAutomaticContextPropagation();
        }
    }

    /**
     * A hand-written acceptor that speaks the protocol as it was before capabilities: it answers
     * the capabilities call UNKNOWN_TAG and refuses any REQUEST flag it does not know, as the old
     * decoder did. The Sluice caller, tracing on, sends it no metadata, and its calls work.
     */
    @Test
    void aPeerThatPredatesMetadataIsSentNone() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> flagsSeen = CompletableFuture.supplyAsync(() -> serveLikeAnOldPeer(listener));
            PeerSession client = start(Peer.create(PROTOCOL).observations(tracing())
                    .connectTo(PeerEndpoint.tcp("127.0.0.1", listener.getLocalPort()))).connect();
            StepVerifier.create(client.call(ECHO, "old")).expectNext("old").expectComplete().verify(TIMEOUT);
            assertThat(flagsSeen.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the ECHO request's flags").isZero();
        }
    }

    /** @return the flags byte of the first user REQUEST */
    private static int serveLikeAnOldPeer(ServerSocket listener) {
        try (Socket socket = listener.accept()) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            write(out, new CallFrame.Hello(CallFrame.VERSION, 0, 1 << 20));
            assertThat(read(in)).isInstanceOf(CallFrame.Hello.class);
            for (;;) {
                byte[] raw = readRaw(in);
                CallFrame frame = decode(raw);
                if (frame instanceof CallFrame.Request r) {
                    int flags = raw[4 + 1 + 4 + 2] & 0xFF;
                    if (r.tag() == CallFrame.CAPABILITIES_TAG) {
                        write(out, new CallFrame.Failure(r.callId(), PeerStatus.UNKNOWN_TAG.wireCode(), "no handler for tag 65535"));
                        r.release();
                        continue;
                    }
                    write(out, new CallFrame.Response(r.callId(), Unpooled.copiedBuffer(r.payload())));
                    r.release();
                    return flags;
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void write(OutputStream out, CallFrame frame) throws java.io.IOException {
        ByteBuf wire = Unpooled.buffer();
        try {
            CallFrameCodec.INSTANCE.encode(frame, wire);
            byte[] bytes = new byte[wire.readableBytes()];
            wire.readBytes(bytes);
            out.write(bytes);
            out.flush();
        } finally {
            wire.release();
            if (frame instanceof CallFrame.PayloadFrame p) {
                p.release();
            }
        }
    }

    private static byte[] readRaw(InputStream in) throws java.io.IOException {
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        byte[] raw = new byte[4 + length];
        java.nio.ByteBuffer.wrap(raw).putInt(length);
        data.readFully(raw, 4, length);
        return raw;
    }

    private static CallFrame read(InputStream in) throws java.io.IOException {
        CallFrame f = decode(readRaw(in));
        if (f instanceof CallFrame.PayloadFrame p) {
            p.release();
        }
        return f;
    }

    private static CallFrame decode(byte[] raw) {
        ByteBuf wire = Unpooled.wrappedBuffer(raw);
        try {
            return CallFrameCodec.INSTANCE.decode(wire, Limits.defaults());
        } finally {
            wire.release();
        }
    }

    static String utf8(ByteBuf b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
