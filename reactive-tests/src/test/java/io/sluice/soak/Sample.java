package io.sluice.soak;

import java.util.List;

/**
 * One minute's measurements.
 *
 * @param seconds since the loads started
 * @param heapMib heap in use right after a full collection
 * @param directMib direct memory Netty has allocated
 * @param threads live threads
 * @param live what each load's server holds, in load order
 * @param operations completed operations per load since the start
 * @param errors errors per load since the start
 * @param skipped ticks each load skipped because it was behind
 * @param leaks buffer leaks the paranoid detector reported since the previous sample
 * @param counters each load's server counters ({@link SoakLoad#counters()}), in load order
 */
record Sample(long seconds, double heapMib, double directMib, int threads, List<Integer> live, List<Long> operations, List<Long> errors,
        List<Long> skipped, int leaks, List<java.util.Map<String, Long>> counters) {
}
