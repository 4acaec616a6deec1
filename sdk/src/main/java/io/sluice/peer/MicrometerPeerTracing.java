package io.sluice.peer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.RequestReplyReceiverContext;
import io.micrometer.observation.transport.RequestReplySenderContext;
import io.micrometer.observation.transport.SenderContext;
import io.sluice.metrics.SluiceMeters;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Peer calls as Micrometer Observations named {@code sluice.peer.call}: a sender context on the
 * caller (a tracing bridge's propagating handler writes {@code traceparent}/{@code tracestate}
 * into the REQUEST's metadata), a receiver context on the callee (the bridge reads them back).
 * Low-cardinality key values: {@code direction}, {@code type} (the protocol's call type names) and,
 * at the end, {@code status}. The observation goes into the handler's Reactor context under
 * {@value io.sluice.metrics.SluiceMeters#OBSERVATION_KEY}, the key {@code ObservationThreadLocalAccessor} uses, so
 * {@code io.micrometer:context-propagation} restores it as the current observation in handlers.
 */
final class MicrometerPeerTracing implements PeerTracing {

    static final String NAME = "sluice.peer.call";

    private final ObservationRegistry registry;

    MicrometerPeerTracing(ObservationRegistry registry) {
        this.registry = registry;
    }

    @Override
    public boolean enabled() {
        return !registry.isNoop();
    }

    @Override
    public Object startOutgoing(CallType<?, ?> type, ContextView context, Map<String, String> carrier, SocketAddress remote) {
        RequestReplySenderContext<Map<String, String>, Object> sender = new RequestReplySenderContext<>(Map::put);
        sender.setCarrier(carrier);
        remote(sender, remote);
        Observation parent = context.getOrDefault(SluiceMeters.OBSERVATION_KEY, registry.getCurrentObservation());
        return Observation.createNotStarted(NAME, () -> sender, registry)
                .contextualName(type.name() + " call")
                .lowCardinalityKeyValue("direction", "outgoing")
                .lowCardinalityKeyValue("type", type.name())
                .parentObservation(parent)
                .start();
    }

    @Override
    public Object startIncoming(CallType<?, ?> type, Map<String, String> metadata, SocketAddress remote) {
        RequestReplyReceiverContext<Map<String, String>, Object> receiver = new RequestReplyReceiverContext<>(Map::get);
        receiver.setCarrier(metadata);
        if (remote instanceof InetSocketAddress inet) {
            receiver.setRemoteServiceAddress(inet.getHostString() + ":" + inet.getPort());
        }
        return Observation.createNotStarted(NAME, () -> receiver, registry)
                .contextualName(type.name() + " handler")
                .lowCardinalityKeyValue("direction", "incoming")
                .lowCardinalityKeyValue("type", type.name())
                .start();
    }

    private static void remote(SenderContext<?> sender, SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            sender.setRemoteServiceAddress(inet.getHostString() + ":" + inet.getPort());
        }
    }

    @Override
    public void stop(Object handle, PeerStatus status, Throwable error) {
        if (handle instanceof Observation o) {
            o.lowCardinalityKeyValue("status", status.name());
            if (error != null) {
                o.error(error);
            }
            o.stop();
        }
    }

    @Override
    public <T> T inScope(Object handle, Supplier<T> invocation) {
        if (!(handle instanceof Observation o)) {
            return invocation.get();
        }
        try (Observation.Scope scope = o.openScope()) {
            return invocation.get();
        }
    }

    @Override
    public Publisher<?> withObservation(Object handle, Publisher<?> response) {
        if (!(handle instanceof Observation o)) {
            return response;
        }
        return response instanceof Mono<?> mono ? mono.contextWrite(c -> c.put(SluiceMeters.OBSERVATION_KEY, o))
                : Flux.from(response).contextWrite(c -> c.put(SluiceMeters.OBSERVATION_KEY, o));
    }
}
