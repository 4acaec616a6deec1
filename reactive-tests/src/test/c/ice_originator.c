/*
 * A libICE originator for Sluice's interop tests. Usage: ice_originator <network-id list> <must-auth 0|1>
 * Opens an ICE connection (MIT-MAGIC-COOKIE-1 from $ICEAUTHORITY when an entry matches), sets up
 * SLUICETEST 1.0, pings, sends SLUICETEST minor opcode 1 with an 8-byte body and waits for the
 * acceptor's minor opcode 2, then shuts the protocol down and closes the connection. Each step
 * prints one line: CONNECTED, PROTOCOL, PONG, MESSAGE, CLOSE, CLOSED (or OPEN-FAILED / FAILED).
 */
#include <X11/ICE/ICElib.h>
#include <X11/ICE/ICEmsg.h>
#include <X11/ICE/ICEproto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

extern IcePoAuthStatus _IcePoMagicCookie1Proc(IceConn, IcePointer *, Bool, Bool, int, IcePointer, int *, IcePointer *,
                                              char **);

static int got_message;
static int got_pong;
static int io_failed;

static void protocol_message(IceConn conn, IcePointer data, int opcode, unsigned long length, Bool swap,
                             IceReplyWaitInfo *wait, Bool *ready) {
    (void) data; (void) swap; (void) wait; (void) ready;
    char body[64];
    unsigned long bytes = length << 3;
    if (bytes > sizeof body) {
        printf("FAILED body of %lu bytes\n", bytes);
        exit(3);
    }
    IceReadData(conn, bytes, body);
    printf("MESSAGE %d", opcode);
    for (unsigned long i = 0; i < bytes; i++) printf(" %d", body[i]);
    printf("\n");
    fflush(stdout);
    got_message = 1;
}

static void pong(IceConn conn, IcePointer data) {
    (void) conn; (void) data;
    got_pong = 1;
}

static void io_error(IceConn conn) {
    (void) conn;
    io_failed = 1;
}

/* Reads and dispatches until *flag is set or the connection ends; 10 s without input is a failure. */
static IceProcessMessagesStatus pump(IceConn conn, int *flag) {
    while (flag == NULL || !*flag) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(IceConnectionNumber(conn), &fds);
        struct timeval tv = {10, 0};
        if (select(IceConnectionNumber(conn) + 1, &fds, NULL, NULL, &tv) <= 0) {
            printf("FAILED timeout\n");
            exit(4);
        }
        IceProcessMessagesStatus s = IceProcessMessages(conn, NULL, NULL);
        if (s != IceProcessMessagesSuccess) {
            return s;
        }
    }
    return IceProcessMessagesSuccess;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: ice_originator <network-ids> <must-auth>\n");
        return 1;
    }
    Bool must = atoi(argv[2]) != 0;
    IceSetIOErrorHandler(io_error);
    IcePoVersionRec versions[] = {{1, 0, protocol_message}};
    const char *auth_names[] = {"MIT-MAGIC-COOKIE-1"};
    IcePoAuthProc auth_procs[] = {_IcePoMagicCookie1Proc};
    int opcode = IceRegisterForProtocolSetup("SLUICETEST", "libICE-test", "1.0", 1, versions, 1, auth_names, auth_procs,
                                             NULL);
    if (opcode < 0) {
        fprintf(stderr, "cannot register SLUICETEST\n");
        return 1;
    }
    char error[256] = "";
    IceConn conn = IceOpenConnection(argv[1], NULL, must, opcode, sizeof error, error);
    if (conn == NULL) {
        printf("OPEN-FAILED %s\n", error);
        return 2;
    }
    char *vendor = IceVendor(conn);
    char *release = IceRelease(conn);
    printf("CONNECTED %s %s %s\n", vendor, release, IceConnectionString(conn));
    fflush(stdout);
    free(vendor);
    free(release);

    int major, minor;
    char *pvendor = NULL, *prelease = NULL;
    IceProtocolSetupStatus setup = IceProtocolSetup(conn, opcode, NULL, must, &major, &minor, &pvendor, &prelease,
                                                    sizeof error, error);
    if (setup != IceProtocolSetupSuccess) {
        printf("FAILED protocol setup %d %s\n", (int) setup, error);
        return 2;
    }
    printf("PROTOCOL %d.%d %s %s\n", major, minor, pvendor, prelease);
    fflush(stdout);
    free(pvendor);
    free(prelease);

    IcePing(conn, pong, NULL);
    if (pump(conn, &got_pong) != IceProcessMessagesSuccess) {
        printf("FAILED ping\n");
        return 2;
    }
    printf("PONG\n");
    fflush(stdout);

    iceMsg *msg;
    char body[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    IceGetHeader(conn, opcode, 1, SIZEOF(iceMsg), iceMsg, msg);
    msg->data[0] = 7;
    msg->length += 1;
    IceWriteData(conn, 8, body);
    IceFlush(conn);
    if (pump(conn, &got_message) != IceProcessMessagesSuccess) {
        printf("FAILED message\n");
        return 2;
    }

    IceProtocolShutdown(conn, opcode);
    IceCloseStatus closing = IceCloseConnection(conn);
    printf("CLOSE %d\n", (int) closing);
    fflush(stdout);
    if (closing == IceStartedShutdownNegotiation) {
        IceProcessMessagesStatus s = pump(conn, NULL);
        printf("CLOSED %d\n", (int) s);
        fflush(stdout);
    }
    return 0;
}
