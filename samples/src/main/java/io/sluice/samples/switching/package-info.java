/**
 * A sample "switch" facility for messaging sessions: queue monitoring with backpressure, message
 * hold/release/delete, and an event log ({@link io.sluice.samples.switching.SwitchFacility}),
 * served by a small in-memory switch ({@link io.sluice.samples.switching.MessageSwitch}).
 */
package io.sluice.samples.switching;
