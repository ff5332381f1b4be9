/* replay.c: sends the packets of capture files out of an interface with
 * pcap_inject, for the live-mode end-to-end test and benchmark (tests/e2e_live.py,
 * bench/live).  Only for veth pairs inside network namespaces the caller made.
 *
 *   replay [--pps N] [--loop N] IFACE FILE...
 *
 * --pps 0 (the default) sends as fast as the interface takes them.  Ethernet
 * files go out as they are; Linux cooked (SLL) ones get an Ethernet header made
 * from the SLL source address and protocol.  Other link types are refused.
 * Prints "sent=N failed=N seconds=S pps=R" on stdout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* u_char in pcap.h, clock_gettime under -std=c11 */
#endif
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLAY_MAX_FRAME 65536
#define REPLAY_SLL_HEADER 16
#define REPLAY_ETH_HEADER 14

typedef struct {
    pcap_t   *out;
    double    pps;
    uint64_t  sent, failed;
    struct timespec start;
    unsigned char frame[REPLAY_MAX_FRAME + REPLAY_ETH_HEADER];
} Replay;

static double
replay_elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* absolute schedule, so rounding in one sleep does not add up */
static void
replay_pace(Replay *r)
{
    if (r->pps <= 0)
        return;
    double due = (double) (r->sent + r->failed) / r->pps;
    double ahead = due - replay_elapsed(&r->start);
    if (ahead <= 0)
        return;
    struct timespec ts = { (time_t) ahead, (long) ((ahead - (double) (time_t) ahead) * 1e9) };
    nanosleep(&ts, NULL);
}

/* SLL: type(2) arphrd(2) halen(2) addr(8) protocol(2) -> dst(6) src(6) type(2) */
static size_t
replay_from_sll(Replay *r, const unsigned char *data, size_t len)
{
    if (len < REPLAY_SLL_HEADER || len - REPLAY_SLL_HEADER > REPLAY_MAX_FRAME)
        return 0;
    static const unsigned char dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    memcpy(r->frame, dst, 6);
    memcpy(r->frame + 6, data + 6, 6);
    memcpy(r->frame + 12, data + 14, 2);
    memcpy(r->frame + REPLAY_ETH_HEADER, data + REPLAY_SLL_HEADER, len - REPLAY_SLL_HEADER);
    return len - REPLAY_SLL_HEADER + REPLAY_ETH_HEADER;
}

static int
replay_file(Replay *r, const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(path, errbuf);
    if (in == NULL) {
        fprintf(stderr, "replay: %s\n", errbuf);
        return -1;
    }
    int dlt = pcap_datalink(in);
    if (dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL) {
        fprintf(stderr, "replay: %s: link type %d cannot be sent on Ethernet\n", path, dlt);
        pcap_close(in);
        return -1;
    }
    struct pcap_pkthdr *hdr;
    const unsigned char *data;
    int rc;
    while ((rc = pcap_next_ex(in, &hdr, &data)) == 1) {
        const unsigned char *frame = data;
        size_t len = hdr->caplen;
        if (dlt == DLT_LINUX_SLL) {
            len = replay_from_sll(r, data, hdr->caplen);
            frame = r->frame;
        }
        replay_pace(r);
        if (len > 0 && pcap_inject(r->out, frame, len) == (int) len)
            r->sent++;
        else
            r->failed++;
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "replay: %s: %s\n", path, pcap_geterr(in));
    pcap_close(in);
    return 0;
}

int
main(int argc, char **argv)
{
    Replay *r = calloc(1, sizeof *r);
    if (r == NULL)
        return 2;
    long loops = 1;
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--pps") == 0)
            r->pps = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--loop") == 0)
            loops = atol(argv[i + 1]);
        else
            break;
    }
    if (argc - i < 2 || loops < 1) {
        fprintf(stderr, "usage: replay [--pps N] [--loop N] IFACE FILE...\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    r->out = pcap_open_live(argv[i], 65535, 0, 100, errbuf);
    if (r->out == NULL) {
        fprintf(stderr, "replay: %s\n", errbuf);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    int status = 0;
    for (long loop = 0; loop < loops; loop++)
        for (int f = i + 1; f < argc; f++)
            status |= replay_file(r, argv[f]) != 0;
    double seconds = replay_elapsed(&r->start);
    printf("sent=%llu failed=%llu seconds=%.3f pps=%.0f\n", (unsigned long long) r->sent,
           (unsigned long long) r->failed, seconds, seconds > 0 ? r->sent / seconds : 0.0);
    pcap_close(r->out);
    free(r);
    return status ? 2 : 0;
}
