/**
 * XSMP, the X Session Management Protocol (version 1.0), on Sluice's ICE: a session manager that
 * real libSM clients register with and save themselves through, and a small client of the same
 * protocol. The session manager registers clients, keeps their properties, runs checkpoints and
 * shutdowns with both save phases, grants interaction one client at a time and honours a
 * cancelled shutdown. It is a sample in that it keeps its session in memory only: it restarts
 * nobody and discards nothing.
 *
 * <h2>Threading and buffers</h2>
 * Everything runs on the ICE connections' event loops (the session manager handles one message at
 * a time under its lock); message bodies are byte arrays, no {@code ByteBuf} crosses this
 * package's API.
 */
package io.sluice.samples.xsmp;
