package io.sluice.coap;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.sluice.codec.coap.CoapCode;
import io.sluice.metrics.SluiceMeters;
import java.util.Locale;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * CoAP requests as Micrometer Observations: {@code sluice.coap.client.request} around a request
 * from send to response, {@code sluice.coap.server.request} from arrival to answer. Low-cardinality
 * key values {@code method}, {@code transport} and, at the end, {@code response.class}. The server's
 * observation is current while the handler builds its answer and sits in the answer's Reactor
 * context under {@code ObservationThreadLocalAccessor.KEY}, so the handler's own calls (CoAP, peer)
 * are its children. CoAP has no standard option for trace context, so nothing is put on the wire.
 */
final class MicrometerCoapTracing implements CoapTracing {

    private final ObservationRegistry registry;

    MicrometerCoapTracing(ObservationRegistry registry) {
        this.registry = registry;
    }

    @Override
    public boolean enabled() {
        return !registry.isNoop();
    }

    @Override
    public Object startClient(CoapCode method, CoapProtocol protocol, ContextView context) {
        Observation parent = context.getOrDefault(SluiceMeters.OBSERVATION_KEY, registry.getCurrentObservation());
        return start("sluice.coap.client.request", method, protocol).parentObservation(parent).start();
    }

    @Override
    public Object startServer(CoapCode method, CoapProtocol protocol) {
        return start("sluice.coap.server.request", method, protocol).start();
    }

    private Observation start(String name, CoapCode method, CoapProtocol protocol) {
        String m = CoapTraffic.methodTag(method);
        return Observation.createNotStarted(name, registry)
                .contextualName("CoAP " + m)
                .lowCardinalityKeyValue("method", m)
                .lowCardinalityKeyValue("transport", protocol.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public void stop(Object handle, int responseClass, Throwable error) {
        if (handle instanceof Observation o) {
            o.lowCardinalityKeyValue("response.class", CoapTraffic.classTag(responseClass));
            if (error != null) {
                o.error(error);
            }
            o.stop();
        }
    }

    @Override
    public Mono<CoapResponse> around(Object handle, Supplier<Mono<CoapResponse>> handler) {
        if (!(handle instanceof Observation o)) {
            return handler.get();
        }
        Mono<CoapResponse> answer;
        try (Observation.Scope scope = o.openScope()) {
            answer = handler.get();
        }
        return answer == null ? null : answer.contextWrite(c -> c.put(SluiceMeters.OBSERVATION_KEY, o));
    }
}
