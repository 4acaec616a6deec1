/** The samples' coverage-guided fuzz targets (XSMP message bodies), gathered for Jazzer. */
package io.sluice.samples.fuzz;
