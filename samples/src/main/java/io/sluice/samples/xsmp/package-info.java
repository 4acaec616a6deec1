/**
 * XSMP, the X Session Management Protocol (version 1.0), on Sluice's ICE: a session manager that
 * real libSM clients register with and save themselves through, and a small client of the same
 * protocol. A sample, not a complete session manager: it registers clients, runs the save cycle
 * (SaveYourself, SaveYourselfDone, Die) and hears CloseConnection; it keeps no properties and
 * grants no interaction.
 *
 * <h2>Threading and buffers</h2>
 * Everything runs on the ICE connections' event loops; message bodies are byte arrays, no
 * {@code ByteBuf} crosses this package's API.
 */
package io.sluice.samples.xsmp;
