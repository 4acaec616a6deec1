/*
 * A libSM client for the XSMP sample's test. Usage: sm_client <network-id list> [cancel]
 * (ICEAUTHORITY names the cookie file.) Registers with SmcOpenConnection, then sets three
 * properties, deletes one and reads them back. Every SaveYourself is answered through a second
 * save phase (SmcRequestSaveYourselfPhase2, then SmcSaveYourselfDone(True) in phase 2); where the
 * interact style allows it the client first interacts (SmcInteractRequest / SmcInteractDone),
 * cancelling the first shutdown when "cancel" is given. Die is answered with SmcCloseConnection.
 * Prints REGISTERED <client id> <vendor> <release>, PROPS <n>, PROP <name> <type> <values...>,
 * SAVE <type> <shutdown> <interact style>, INTERACT, PHASE2, COMPLETE, CANCELLED, DIE,
 * CLOSED <status>.
 */
#include <X11/SM/SMlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

static int done;
static int cancel_once;

static void say(const char *line) {
    printf("%s\n", line);
    fflush(stdout);
}

static void phase2(SmcConn conn, SmPointer data) {
    (void) data;
    say("PHASE2");
    SmcSaveYourselfDone(conn, True);
}

static void interact(SmcConn conn, SmPointer data) {
    Bool shutdown = data != NULL;
    say("INTERACT");
    Bool cancel = shutdown && cancel_once;
    cancel_once = 0;
    SmcInteractDone(conn, cancel);
    SmcRequestSaveYourselfPhase2(conn, phase2, NULL);
}

static void save_yourself(SmcConn conn, SmPointer data, int type, Bool shutdown, int style, Bool fast) {
    (void) data; (void) fast;
    printf("SAVE %d %d %d\n", type, shutdown, style);
    fflush(stdout);
    if (style == SmInteractStyleAny) {
        SmcInteractRequest(conn, SmDialogNormal, interact, shutdown ? (SmPointer) conn : NULL);
    } else {
        SmcRequestSaveYourselfPhase2(conn, phase2, NULL);
    }
}

static void die(SmcConn conn, SmPointer data) {
    (void) data;
    say("DIE");
    char *reasons[] = {"sm_client: asked to die"};
    SmcCloseStatus status = SmcCloseConnection(conn, 1, reasons);
    printf("CLOSED %d\n", (int) status);
    fflush(stdout);
    done = 1;
}

static void save_complete(SmcConn conn, SmPointer data) {
    (void) conn; (void) data;
    say("COMPLETE");
}

static void shutdown_cancelled(SmcConn conn, SmPointer data) {
    (void) conn; (void) data;
    say("CANCELLED");
}

static void properties(SmcConn conn, SmPointer data, int count, SmProp **props) {
    (void) conn; (void) data;
    printf("PROPS %d\n", count);
    for (int i = 0; i < count; i++) {
        printf("PROP %s %s", props[i]->name, props[i]->type);
        for (int v = 0; v < props[i]->num_vals; v++) {
            printf(" %.*s", props[i]->vals[v].length, (char *) props[i]->vals[v].value);
        }
        printf("\n");
        SmFreeProperty(props[i]);
    }
    free(props);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sm_client <network-ids> [cancel]\n");
        return 1;
    }
    cancel_once = argc > 2 && strcmp(argv[2], "cancel") == 0;
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

    SmPropValue program = {(int) strlen("sm_client"), "sm_client"};
    SmPropValue restart[] = {{(int) strlen("sm_client"), "sm_client"}, {(int) strlen("--restore"), "--restore"}};
    SmPropValue user = {(int) strlen("tester"), "tester"};
    SmProp p_program = {SmProgram, SmARRAY8, 1, &program};
    SmProp p_restart = {SmRestartCommand, SmLISTofARRAY8, 2, restart};
    SmProp p_user = {SmUserID, SmARRAY8, 1, &user};
    SmProp *set[] = {&p_program, &p_restart, &p_user};
    SmcSetProperties(conn, 3, set);
    char *gone[] = {SmUserID};
    SmcDeleteProperties(conn, 1, gone);
    SmcGetProperties(conn, properties, NULL);

    IceConn ice = SmcGetIceConnection(conn);
    while (!done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(IceConnectionNumber(ice), &fds);
        struct timeval tv = {20, 0};
        if (select(IceConnectionNumber(ice) + 1, &fds, NULL, NULL, &tv) <= 0) {
            say("FAILED timeout");
            return 4;
        }
        /* SmcCloseConnection inside the die callback ends the connection under IceProcessMessages. */
        if (IceProcessMessages(ice, NULL, NULL) != IceProcessMessagesSuccess && !done) {
            say("FAILED connection lost");
            return 3;
        }
    }
    return 0;
}
