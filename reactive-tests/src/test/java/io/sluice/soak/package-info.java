/**
 * The soak: every protocol family under steady churn in one JVM for a long time, with Netty's
 * paranoid leak detector, sampled every minute into a CSV and a chart, and a verdict at the end.
 * Run by {@code -Dbench=soak}; see {@link io.sluice.soak.SoakRun}.
 */
package io.sluice.soak;
