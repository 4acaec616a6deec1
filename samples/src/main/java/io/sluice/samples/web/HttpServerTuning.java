package io.sluice.samples.web;

import io.netty.channel.ChannelOption;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/** Applies {@code sluice.http-send-buffer} to the HTTP server's connections. */
@Component
public class HttpServerTuning implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory> {

    private final SluiceWebProperties properties;

    /**
     * @param properties the service's settings
     */
    public HttpServerTuning(SluiceWebProperties properties) {
        this.properties = properties;
    }

    @Override
    public void customize(NettyReactiveWebServerFactory factory) {
        int sendBuffer = properties.httpSendBuffer();
        if (sendBuffer > 0) {
            factory.addServerCustomizers(server -> server.childOption(ChannelOption.SO_SNDBUF, sendBuffer));
        }
    }
}
