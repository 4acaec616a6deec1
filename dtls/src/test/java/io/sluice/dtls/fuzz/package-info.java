/** The DTLS module's coverage-guided fuzz targets (record filter, PEM and PKCS#12 identities), gathered for Jazzer. */
package io.sluice.dtls.fuzz;
