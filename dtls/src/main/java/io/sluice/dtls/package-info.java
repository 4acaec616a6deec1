/**
 * DTLS for Sluice: the Prosody-style rx/tx packet endpoints, the RFC 7983/9443 RTP-port demux and
 * DTLS 1.2 client and server sessions on BouncyCastle, implementing the SDK's datagram-security SPI.
 *
 * <p>Only this module imports BouncyCastle; the SDK and the codecs never do. Its contents arrive
 * with the DTLS issue; until then the module builds an (almost) empty jar so the reactor layout and
 * the {@code io.sluice.dtls} module name are fixed from the start.
 */
package io.sluice.dtls;
