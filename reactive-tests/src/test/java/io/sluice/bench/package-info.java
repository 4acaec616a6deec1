/**
 * Benchmark harnesses, run by a documented command ({@link io.sluice.bench.Benchmarks}); each
 * measures Sluice beside the independent peer its issue names, in the same run, on loopback, and
 * prints a table. Timing never decides a unit test's outcome.
 */
package io.sluice.bench;
