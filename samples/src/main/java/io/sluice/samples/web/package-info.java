/**
 * A Spring Boot WebFlux service built on Sluice: on start-up it brings up, in process on loopback,
 * a CoAP server over DTLS with an observable sensor, a peer server and a messaging server with the
 * sample switch facility, and exposes them over HTTP (JSON and Server-Sent Events).
 *
 * <p>Run it with {@code mvn -B -q -DskipTests package exec:java -pl samples -am
 * -Dexec.mainClass=io.sluice.samples.web.SluiceWebApplication} and open
 * {@code http://127.0.0.1:8080/}. Every handler returns the SDK's {@code Mono}/{@code Flux}
 * directly: no blocking call runs on a request thread, and HTTP demand is Sluice demand.
 */
package io.sluice.samples.web;
