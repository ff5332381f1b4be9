/* readloop.c: the physical floor for the benchmark: read every packet with
 * pcap_next_ex and touch one byte of each, nothing else.  Prints
 * "packets=N bytes=N seconds=S". */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: readloop FILE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "readloop: %s\n", errbuf);
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct pcap_pkthdr *hdr;
    const unsigned char *data;
    unsigned long long packets = 0, bytes = 0;
    unsigned int checksum = 0;
    while (pcap_next_ex(p, &hdr, &data) == 1) {
        packets++;
        bytes += hdr->len;
        checksum += hdr->caplen > 0 ? data[0] : 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    printf("packets=%llu bytes=%llu seconds=%.6f checksum=%u\n", packets, bytes, seconds, checksum);
    pcap_close(p);
    return 0;
}
