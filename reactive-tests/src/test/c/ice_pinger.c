/*
 * A libICE originator for Sluice's ICE ping benchmark: opens an ICE connection to the network ID
 * given, then for the given number of seconds sends one Ping at a time and waits for its PingReply,
 * and prints "PINGS <count> <seconds> <p50 ns> <p99 ns>".
 */
#include <X11/ICE/ICElib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int replied;

static void ping_reply(IceConn conn, IcePointer data) {
    (void) conn; (void) data;
    replied = 1;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ice_pinger <network-id> <warmup-seconds> <seconds>\n");
        return 2;
    }
    char error[256];
    IceConn conn = IceOpenConnection(argv[1], NULL, False, 0, sizeof error, error);
    if (conn == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", argv[1], error);
        return 1;
    }
    double warmup = atof(argv[2]), seconds = atof(argv[3]);
    size_t capacity = 1 << 24, n = 0;
    long long *latencies = malloc(capacity * sizeof *latencies);
    long long start = now_ns(), measure_from = start + (long long) (warmup * 1e9), end = measure_from + (long long) (seconds * 1e9);
    for (;;) {
        long long t0 = now_ns();
        if (t0 >= end) break;
        replied = 0;
        IcePing(conn, ping_reply, NULL);
        IceFlush(conn);
        while (!replied) {
            if (IceProcessMessages(conn, NULL, NULL) != IceProcessMessagesSuccess) {
                fprintf(stderr, "connection lost\n");
                return 1;
            }
        }
        long long t1 = now_ns();
        if (t0 >= measure_from && n < capacity) latencies[n++] = t1 - t0;
    }
    qsort(latencies, n, sizeof *latencies, compare);
    long long p50 = n ? latencies[(size_t) (n * 0.50)] : 0, p99 = n ? latencies[(size_t) (n * 0.99)] : 0;
    printf("PINGS %zu %.3f %lld %lld\n", n, seconds, p50, p99);
    fflush(stdout);
    IceSetShutdownNegotiation(conn, False);
    IceCloseConnection(conn);
    return 0;
}
