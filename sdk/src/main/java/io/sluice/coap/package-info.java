/**
 * CoAP (RFC 7252) endpoints and libcoap-style sessions over UDP and DTLS: {@link
 * io.sluice.coap.CoapServer} and {@link io.sluice.coap.CoapClient} specs, {@link
 * io.sluice.coap.CoapSession} with every function of {@code coap_session(3)}, requests and
 * responses with CON retransmission and deduplication, block-wise transfer (RFC 7959), observe
 * (RFC 7641) as a {@code Flux}, and multicast (RFC 7252 §8).
 *
 * <h2>Threading</h2>
 * Each endpoint (a server's UDP socket, a client session's socket, one DTLS session) runs on one
 * event loop of the shared "sluice-coap" loops; its protocol state is confined to that loop, and
 * every public method hops onto it, so all public objects are thread-safe. Handlers run on the
 * loop and must not block: return a {@code Mono} completed from elsewhere for slow work.
 *
 * <h2>Buffers</h2>
 * Nothing here hands out a {@code ByteBuf}: requests, responses and messages hold their bodies as
 * arrays they copied, so there is nothing to release. Datagrams are released by the endpoint after
 * decoding.
 *
 * <h2>Bounds</h2>
 * Datagrams above 1500 bytes are dropped and counted; deduplication keeps at most 16,384 message
 * IDs per socket for EXCHANGE_LIFETIME; a session keeps at most 8 unfinished Block1 uploads and 8
 * block-wise bodies for Block2 follow-ups; bodies are bounded by {@code maxBodySize}; requests
 * waiting behind NSTART are bounded by {@code maxQueuedRequests}; a slow observer gets the
 * latest state, never a backlog.
 */
package io.sluice.coap;
