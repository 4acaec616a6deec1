/*
 * A libICE acceptor for Sluice's interop tests: registers the protocol SLUICETEST 1.0, listens on
 * every ICE transport libICE offers, prints "LISTEN <network ids>" once ready, and serves ICE
 * connections (ByteOrder, ConnectionSetup, ProtocolSetup, Ping, WantToClose, errors) until killed.
 * Host-based authentication admits any client, so no .ICEauthority entry is needed.
 */
#include <X11/ICE/ICElib.h>
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

int main(void) {
    IceSetIOErrorHandler(io_error);
    IcePaVersionRec versions[] = {{1, 0, protocol_message}};
    int opcode = IceRegisterForProtocolReply("SLUICETEST", "libICE-test", "1.0", 1, versions, 0, NULL, NULL, any_host,
                                             protocol_setup, NULL, NULL);
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
    for (int i = 0; i < count; i++) {
        IceSetHostBasedAuthProc(listeners[i], any_host);
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
