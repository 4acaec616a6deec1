package io.sluice.dtls.session;

import java.io.IOException;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.UseSRTPData;

/** One handshake's use_srtp negotiation (RFC 5764 §4.1.1): offered profiles in, the chosen one out. */
final class SrtpNegotiation {

    private final List<SrtpProfile> offered;
    private volatile SrtpProfile chosen;

    SrtpNegotiation(List<SrtpProfile> offered) {
        this.offered = offered;
    }

    Optional<SrtpProfile> chosen() {
        return Optional.ofNullable(chosen);
    }

    private int[] codes() {
        return offered.stream().mapToInt(SrtpProfile::code).toArray();
    }

    /** Client: adds the offer to the ClientHello's extensions. */
    Hashtable<Integer, byte[]> offer(Hashtable<Integer, byte[]> extensions) throws IOException {
        if (offered.isEmpty()) {
            return extensions;
        }
        Hashtable<Integer, byte[]> out = TlsExtensionsUtils.ensureExtensionsInitialised(extensions);
        TlsSRTPUtils.addUseSRTPExtension(out, new UseSRTPData(codes(), TlsUtils.EMPTY_BYTES));
        return out;
    }

    /** Client: reads the server's choice, which must be one the client offered. */
    void serverChose(Hashtable<?, ?> serverExtensions) throws IOException {
        UseSRTPData data = serverExtensions == null ? null : TlsSRTPUtils.getUseSRTPExtension(serverExtensions);
        if (data == null) {
            return;
        }
        int[] profiles = data.getProtectionProfiles();
        if (offered.isEmpty() || profiles.length != 1) {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "the server's use_srtp answer is not one profile we offered");
        }
        chosen = SrtpProfile.of(profiles[0]).filter(offered::contains)
                .orElseThrow(() -> new TlsFatalAlert(AlertDescription.illegal_parameter, "the server chose an SRTP profile we did not offer"));
    }

    /** Server: picks the first of its own profiles that the client offered. */
    void clientOffered(Hashtable<?, ?> clientExtensions) throws IOException {
        UseSRTPData data = clientExtensions == null ? null : TlsSRTPUtils.getUseSRTPExtension(clientExtensions);
        if (data == null || offered.isEmpty()) {
            return;
        }
        for (SrtpProfile mine : offered) {
            for (int theirs : data.getProtectionProfiles()) {
                if (mine.code() == theirs) {
                    chosen = mine;
                    return;
                }
            }
        }
    }

    /** Server: answers with the chosen profile, if any. */
    Hashtable<Integer, byte[]> answer(Hashtable<Integer, byte[]> extensions) throws IOException {
        SrtpProfile c = chosen;
        if (c == null) {
            return extensions;
        }
        Hashtable<Integer, byte[]> out = TlsExtensionsUtils.ensureExtensionsInitialised(extensions);
        TlsSRTPUtils.addUseSRTPExtension(out, new UseSRTPData(new int[] {c.code()}, TlsUtils.EMPTY_BYTES));
        return out;
    }
}
