package io.sluice.dtls.session;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsTimeoutException;

/** Turns BouncyCastle's handshake failures into {@link DtlsException}s that say what happened. */
final class Handshakes {

    private Handshakes() {
    }

    static DtlsException failure(Throwable e, InetSocketAddress peer) {
        if (e instanceof DtlsException d) {
            return d;
        }
        if (e instanceof TlsTimeoutException) {
            return new DtlsException(DtlsErrorCode.HANDSHAKE_TIMEOUT, "DTLS handshake with " + peer + " did not finish in time", e);
        }
        String detail;
        if (e instanceof TlsFatalAlertReceived r) {
            detail = "the peer sent the fatal alert " + org.bouncycastle.tls.AlertDescription.getText(r.getAlertDescription());
        } else if (e instanceof TlsFatalAlert a) {
            detail = "raised the fatal alert " + org.bouncycastle.tls.AlertDescription.getText(a.getAlertDescription())
                    + (a.getMessage() != null ? " (" + a.getMessage() + ")" : "");
        } else if (e instanceof IOException) {
            detail = e.getMessage();
        } else {
            detail = e.toString();
        }
        return new DtlsException(DtlsErrorCode.HANDSHAKE_FAILED, "DTLS handshake with " + peer + " failed: " + detail, e);
    }
}
