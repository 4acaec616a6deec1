package io.sluice.samples.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The WebFlux service's entry point. */
@SpringBootApplication
@EnableConfigurationProperties(SluiceWebProperties.class)
public class SluiceWebApplication {

    /**
     * @param args Spring Boot arguments, e.g. {@code --server.port=8081}
     */
    public static void main(String[] args) {
        SpringApplication.run(SluiceWebApplication.class, args);
    }
}
