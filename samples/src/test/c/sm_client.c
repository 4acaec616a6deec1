/*
 * A libSM client for the XSMP sample's test. Usage: sm_client <network-id list>
 * (ICEAUTHORITY names the cookie file.) Registers with SmcOpenConnection, answers each
 * SaveYourself with SmcSaveYourselfDone(True) and Die with SmcCloseConnection, printing
 * REGISTERED <client id>, SAVE <type> <shutdown>, DIE, CLOSED <status>.
 */
#include <X11/SM/SMlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

static int done;

static void save_yourself(SmcConn conn, SmPointer data, int type, Bool shutdown, int interact, Bool fast) {
    (void) data; (void) interact; (void) fast;
    printf("SAVE %d %d\n", type, shutdown);
    fflush(stdout);
    SmcSaveYourselfDone(conn, True);
}

static void die(SmcConn conn, SmPointer data) {
    (void) data;
    printf("DIE\n");
    fflush(stdout);
    char *reasons[] = {"sm_client: asked to die"};
    SmcCloseStatus status = SmcCloseConnection(conn, 1, reasons);
    printf("CLOSED %d\n", (int) status);
    fflush(stdout);
    done = 1;
}

static void save_complete(SmcConn conn, SmPointer data) {
    (void) conn; (void) data;
}

static void shutdown_cancelled(SmcConn conn, SmPointer data) {
    (void) conn; (void) data;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sm_client <network-ids>\n");
        return 1;
    }
    SmcCallbacks callbacks;
    memset(&callbacks, 0, sizeof callbacks);
    callbacks.save_yourself.callback = save_yourself;
    callbacks.die.callback = die;
    callbacks.save_complete.callback = save_complete;
    callbacks.shutdown_cancelled.callback = shutdown_cancelled;
    unsigned long mask = SmcSaveYourselfProcMask | SmcDieProcMask | SmcSaveCompleteProcMask | SmcShutdownCancelledProcMask;
    char *client_id = NULL;
    char error[256] = "";
    SmcConn conn = SmcOpenConnection(argv[1], NULL, SmProtoMajor, SmProtoMinor, mask, &callbacks, NULL, &client_id,
                                     sizeof error, error);
    if (conn == NULL) {
        printf("OPEN-FAILED %s\n", error);
        return 2;
    }
    printf("REGISTERED %s %s %s\n", client_id, SmcVendor(conn), SmcRelease(conn));
    fflush(stdout);
    free(client_id);
    IceConn ice = SmcGetIceConnection(conn);
    while (!done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(IceConnectionNumber(ice), &fds);
        struct timeval tv = {20, 0};
        if (select(IceConnectionNumber(ice) + 1, &fds, NULL, NULL, &tv) <= 0) {
            printf("FAILED timeout\n");
            return 4;
        }
        /* SmcCloseConnection inside the die callback ends the connection under IceProcessMessages. */
        if (IceProcessMessages(ice, NULL, NULL) != IceProcessMessagesSuccess && !done) {
            printf("FAILED connection lost\n");
            return 3;
        }
    }
    return 0;
}
