/**
 * DTLS 1.2 sessions on BouncyCastle over Sluice's UDP sockets or any
 * {@link io.sluice.dtls.packet.PacketPipe} (an {@code RtpPort}'s DTLS class for DTLS-SRTP): {@link io.sluice.dtls.session.DtlsClient}
 * and {@link io.sluice.dtls.session.DtlsServer} specs, {@link io.sluice.dtls.session.LiveDtlsServer}
 * (stateless cookie exchange before any per-peer state, capped handshakes and sessions, routing by
 * peer address) and {@link io.sluice.dtls.session.DtlsSession} (application data as a
 * {@code Flux} in and a {@code Publisher} out, close_notify on close, RFC 5705 exports). These
 * implement the datagram-security SPI of {@code io.sluice.security}, so protocols in {@code sdk}
 * run over DTLS without importing BouncyCastle.
 *
 * <h2>Connection IDs (RFC 9146)</h2>
 * A server configured with {@code connectionIdLength(n)} assigns each client that offers the
 * extension a random n-byte ID before the handshake starts (the client's Finished already carries
 * it) and routes tls12_cid records by that ID instead of by address. The session's record layer
 * writes and reads the tls12_cid form itself (the ID between sequence number and length, the real
 * content type inside the protection, the ID in the additional data: BouncyCastle's cipher does
 * the last two). A session moves to a new client address only when an application record from
 * there passed the MAC and the replay window and is newer than every authenticated record before
 * it (§6); replayed and forged records change nothing. A record of the live epoch without the
 * agreed ID, or with another, is dropped; during the handshake the record filter knows the ID's
 * length, so it checks tls12_cid headers as strictly as plain ones.
 *
 * <h2>Threading, and why</h2>
 * BouncyCastle's DTLS calls block: {@code DTLSClientProtocol.connect} and
 * {@code DTLSServerProtocol.accept} run the whole handshake on the calling thread, pulling
 * datagrams through {@code DatagramTransport.receive(..., waitMillis)}; its {@code DTLSTransport}
 * would go on blocking after the handshake too. None of that may run on an event loop.
 * So:
 * <ul>
 * <li>during a handshake ({@code HandshakeTransport}) the event loop only copies each datagram into the peer's bounded
 *     lock-free queue (never blocking; a full queue drops and counts) and wakes the waiting
 *     thread;</li>
 * <li>handshakes run on the "sluice-dtls-handshake" scheduler, one thread each for their
 *     duration, bounded by the server's handshake cap (a process that is both client and server
 *     needs a thread per side: with a shared small pool, client handshakes took every thread and
 *     the server side of the same handshakes could not start, which the benchmark showed);</li>
 * <li>after the handshake BouncyCastle's transport is not used again: the session's own record
 *     layer ({@code RecordLayer}, RFC 6347 §4.1) protects and opens application records with the
 *     cipher the handshake negotiated (made from the same keys while the master secret still
 *     existed), on whichever thread has the record: the event loop for incoming ones, the sender's
 *     thread for outgoing ones. There is one writer per epoch, its sequence numbers continuing
 *     after the last one BouncyCastle used, so no AEAD nonce repeats; this side's final flight is
 *     kept and resent byte for byte when the peer repeats its own, until the peer's first
 *     application record shows it has the keys. Replay window, bad records (dropped and counted,
 *     never ending the session), close_notify and fatal alerts are handled there. An idle session
 *     holds memory only, never a thread;</li>
 * <li>the crypto provider is loaded and seeded on a worker before the first socket is bound,
 *     because seeding reads the system entropy source (BlockHound caught it on the event loop).</li>
 * </ul>
 * Outgoing records are protected in order on the thread that emits them, the event loop included
 * for AEAD suites (they need no random numbers); only non-AEAD suites (random CBC IVs) move
 * protection from an event loop to the "sluice-dtls-records" scheduler. A
 * record waits for its write only when the socket's outbound buffer is above its high-water mark.
 * Taking records off BouncyCastle's blocking {@code receive} and the hop to a worker made 1200-byte
 * echo 1.5 times faster (0.62 to 0.93 of Scandium's rate in the same run).
 *
 * <h2>Crypto</h2>
 * BouncyCastle's TLS runs over the JDK's providers wherever they have the algorithm, and over a
 * private BouncyCastle provider where they do not (AES-CCM, ChaCha20-Poly1305) and for elliptic
 * curves (ECDSA, ECDH, X25519), whose JDK 17 code is several times slower: the JDK's
 * AES-GCM uses the CPU's AES instructions, which made 1200-byte echo 2.6 times faster than with
 * BouncyCastle's provider throughout. After the handshake, AES-GCM records do not go through
 * BouncyCastle at all: {@code GcmRecordCipher} seals and opens them on the JDK's cipher with one
 * copy per record (BouncyCastle's cipher took four and several arrays); other suites keep
 * BouncyCastle's record cipher. The default suites are AEAD only, AES-GCM first;
 * {@code cipherSuites(...)} on a spec replaces them (servers decide by their own order).
 *
 * <p>BouncyCastle erases the master secret when the handshake completes, so keying material for
 * RFC 5705 exports is declared on the spec and taken at that moment. It also wipes the PSK array
 * a server's key lookup returns, so the server hands it a copy.
 *
 * <p>Buffers: records from {@code receive()} are the subscriber's to release; records given to
 * {@code send(...)} are the session's.
 *
 * <h2>TLS-PSK over streams</h2>
 * {@link io.sluice.dtls.session.TlsPsk} is the stream-security SPI's TLS 1.2 with pre-shared keys,
 * for CoAP over TLS and secure WebSockets where the JDK's TLS (no PSK) cannot serve. Unlike DTLS it
 * runs on the connection's event loop: BouncyCastle's {@code TlsClientProtocol} and
 * {@code TlsServerProtocol} have a non-blocking mode (bytes offered in, bytes read out) that never
 * waits, so one Netty handler drives the handshake as the peer's bytes arrive. Its random numbers
 * come from a DRBG seeded once when the class loads, whose seeds for BouncyCastle's per-connection
 * nonce generators are its own output, so nothing on the loop reads /dev/urandom.
 */
package io.sluice.dtls.session;
