/**
 * The SDK's coverage-guided fuzz targets (SASL, session messages, ICE authority files, the ICE
 * acceptor), gathered for Jazzer; each target lives beside the package-private code it reaches.
 */
package io.sluice.fuzz;
