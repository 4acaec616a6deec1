/**
 * The README's demo: one program, everything in-process on loopback, printing what each part of
 * Sluice does in a few readable lines. Samples may print to standard output; the SDK never does.
 */
package io.sluice.samples.demo;
