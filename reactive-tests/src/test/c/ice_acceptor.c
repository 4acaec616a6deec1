/*
 * A libICE acceptor for Sluice's interop tests: registers the protocol SLUICETEST 1.0, listens on
 * every ICE transport libICE offers, prints "LISTEN <network ids>" once ready, and serves ICE
 * connections (ByteOrder, ConnectionSetup, ProtocolSetup, Ping, WantToClose, errors) until killed.
 * Without arguments host-based authentication admits any client, so no .ICEauthority entry is
 * needed. With one argument, a MIT-MAGIC-COOKIE-1 cookie in hex, there is no host-based fallback:
 * the cookie is set (IceSetPaAuthData) for ICE and SLUICETEST on every listen network ID and a
 * client must present it.
 */
#include <X11/ICE/ICElib.h>
#include <X11/ICE/ICEutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

static void protocol_message(IceConn conn, IcePointer data, int opcode, unsigned long length, Bool swap) {
    (void) conn; (void) data; (void) opcode; (void) length; (void) swap;
}

static Status protocol_setup(IceConn conn, int major, int minor, char *vendor, char *release,
                             IcePointer *data, char **failure) {
    (void) conn; (void) major; (void) minor; (void) data; (void) failure;
    printf("PROTOCOL-SETUP %s %s\n", vendor, release);
    fflush(stdout);
    free(vendor);
    free(release);
    return 1;
}

static Bool any_host(char *hostname) {
    (void) hostname;
    return True;
}

/* libICE's default IO-error handler exits the process; a test acceptor outlives its clients. */
static void io_error(IceConn conn) {
    (void) conn;
}

extern IcePaAuthStatus _IcePaMagicCookie1Proc(IceConn, IcePointer *, Bool, int, IcePointer, int *, IcePointer *,
                                              char **);

int main(int argc, char **argv) {
    const char *cookie_hex = argc > 1 ? argv[1] : NULL;
    IceSetIOErrorHandler(io_error);
    IcePaVersionRec versions[] = {{1, 0, protocol_message}};
    const char *auth_names[] = {"MIT-MAGIC-COOKIE-1"};
    IcePaAuthProc auth_procs[] = {_IcePaMagicCookie1Proc};
    int opcode = IceRegisterForProtocolReply("SLUICETEST", "libICE-test", "1.0", 1, versions, 1, auth_names, auth_procs,
                                             cookie_hex ? NULL : any_host, protocol_setup, NULL, NULL);
    if (opcode < 0) {
        fprintf(stderr, "cannot register SLUICETEST\n");
        return 1;
    }
    int count;
    IceListenObj *listeners;
    char error[256];
    if (!IceListenForConnections(&count, &listeners, sizeof error, error)) {
        fprintf(stderr, "cannot listen: %s\n", error);
        return 1;
    }
    if (cookie_hex == NULL) {
        for (int i = 0; i < count; i++) {
            IceSetHostBasedAuthProc(listeners[i], any_host);
        }
    } else {
        size_t n = strlen(cookie_hex) / 2;
        char *cookie = malloc(n);
        for (size_t i = 0; i < n; i++) {
            unsigned int byte;
            sscanf(cookie_hex + 2 * i, "%2x", &byte);
            cookie[i] = (char) byte;
        }
        IceAuthDataEntry *entries = calloc(2 * count, sizeof *entries);
        for (int i = 0; i < count; i++) {
            for (int p = 0; p < 2; p++) {
                IceAuthDataEntry *e = &entries[2 * i + p];
                e->protocol_name = p == 0 ? "ICE" : "SLUICETEST";
                e->network_id = IceGetListenConnectionString(listeners[i]);
                e->auth_name = "MIT-MAGIC-COOKIE-1";
                e->auth_data_length = (unsigned short) n;
                e->auth_data = cookie;
            }
        }
        IceSetPaAuthData(2 * count, entries);
    }
    char *ids = IceComposeNetworkIdList(count, listeners);
    printf("LISTEN %s\n", ids);
    fflush(stdout);
    free(ids);

    IceConn conns[64];
    int nconns = 0;
    for (;;) {
        fd_set fds;
        FD_ZERO(&fds);
        int max = 0;
        for (int i = 0; i < count; i++) {
            int fd = IceGetListenConnectionNumber(listeners[i]);
            FD_SET(fd, &fds);
            if (fd > max) max = fd;
        }
        for (int i = 0; i < nconns; i++) {
            int fd = IceConnectionNumber(conns[i]);
            FD_SET(fd, &fds);
            if (fd > max) max = fd;
        }
        if (select(max + 1, &fds, NULL, NULL, NULL) < 0) {
            continue;
        }
        for (int i = 0; i < count; i++) {
            if (FD_ISSET(IceGetListenConnectionNumber(listeners[i]), &fds) && nconns < 64) {
                IceAcceptStatus status;
                IceConn conn = IceAcceptConnection(listeners[i], &status);
                if (conn != NULL) {
                    conns[nconns++] = conn;
                    printf("ACCEPTED\n");
                    fflush(stdout);
                }
            }
        }
        for (int i = 0; i < nconns; i++) {
            if (FD_ISSET(IceConnectionNumber(conns[i]), &fds)) {
                IceProcessMessagesStatus s = IceProcessMessages(conns[i], NULL, NULL);
                if (s != IceProcessMessagesSuccess) {
                    printf("CLOSED %d\n", (int) s);
                    fflush(stdout);
                    IceCloseConnection(conns[i]);
                    conns[i] = conns[--nconns];
                    i--;
                }
            }
        }
    }
}
