package io.sluice.samples.web;

import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * CoAP over WebSockets (RFC 8323 §4) on the service's own HTTP port. A GET upgrade at
 * {@code /.well-known/coap} is taken by reactor-netty (the HTTP server under WebFlux) with
 * subprotocol {@code coap}, and the upgraded connection is handed to a Sluice CoAP server
 * ({@link SluiceBackends#coapWebSockets()}), which reads and writes its binary frames from then
 * on. The page's second view observes the sensor this way, from the browser itself.
 *
 * <p>A filter rather than a WebFlux {@code WebSocketHandler}: the hand-over needs the reactor-netty
 * connection itself, which WebFlux's WebSocket session does not expose; the upgrade is the one
 * WebFlux's own reactor-netty strategy performs.
 */
@Component
public class CoapOverWebSocket implements WebFilter {

    static final String PATH = "/.well-known/coap";

    private final SluiceBackends backends;

    /**
     * @param backends the Sluice servers
     */
    public CoapOverWebSocket(SluiceBackends backends) {
        this.backends = backends;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!PATH.equals(exchange.getRequest().getPath().value()) || exchange.getRequest().getMethod() != HttpMethod.GET
                || !"websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
            return chain.filter(exchange);
        }
        HttpServerResponse response = ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
        // The upgrade request's (empty) body is read first, as WebFlux's own handshake does, so that
        // nothing of the HTTP exchange is left unreleased once the connection changes hands.
        return exchange.getRequest().getBody().doOnNext(org.springframework.core.io.buffer.DataBufferUtils::release)
                .then(Mono.defer(() -> response.sendWebsocket((in, out) -> {
            reactor.netty.Connection[] connection = new reactor.netty.Connection[1];
            in.withConnection(c -> connection[0] = c);
            return backends.coapWebSockets().serveUpgraded(connection[0]);
        }, WebsocketServerSpec.builder().protocols("coap").build())));
    }
}
