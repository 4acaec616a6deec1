/**
 * Hot, bounded event streams: the reactive form of the seeds' exception, trace, watch and overrun
 * callbacks.
 *
 * <p>{@link io.sluice.event.EventStream} fans events out to any number of subscribers without ever
 * blocking or slowing the code that emits them: each subscriber has a bounded buffer, and a slow
 * subscriber loses its oldest events (counted, and handed to Reactor's discard hook) rather than
 * holding memory or the emitter. Nothing in this package does I/O.
 */
package io.sluice.event;
