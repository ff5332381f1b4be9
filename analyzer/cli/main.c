/* main.c: `portolan COMMAND ...` */
#include "ptl-cli.h"
#include "ptl-config.h"
#include "ptl-dissector.h"

#include <locale.h>
#include <pcap/pcap.h>
#include <string.h>

static const char main_usage[] =
    "Usage: portolan COMMAND [OPTIONS] ...\n"
    "\n"
    "Tells, from packet captures of a cluster, which product service every flow\n"
    "belongs to and whether the traffic obeys the vendor's documented port rules.\n"
    "\n"
    "Commands:\n"
    "  analyze FILE...      analyze capture files (pcap, pcapng, gzip'd)\n"
    "  live -i IFACE        capture from an interface, findings as they occur\n"
    "  report FILE.json     draw a saved JSON report again (HTML page, filtered JSON, text)\n"
    "  rules list|check     show or validate the product rules\n"
    "  plugins              list the dissector modules\n"
    "  version              print the versions of portolan, libpcap, GLib and the\n"
    "                       dissector ABI (also --version)\n"
    "\n"
    "Examples:\n"
    "  portolan analyze cluster.pcap\n"
    "  portolan -r cluster.pcap --json -          (as tcpdump users type it)\n"
    "  portolan analyze --product sisense --nodes 10.0.0.11-10.0.0.13 node1.pcap node2.pcap\n"
    "  portolan analyze -I site.inventory cluster.pcap --html report.html\n"
    "  portolan report report.json -o report.html\n"
    "  portolan rules list --product impala\n"
    "  portolan live -i eth1 --product sisense --events findings.jsonl\n"
    "\n"
    "Run 'portolan COMMAND --help' for a command's options.\n";

typedef int (*MainCommand)(int argc, char **argv);

static const struct {
    const char *name;
    MainCommand run;
} main_commands[] = {
    { "analyze", ptl_cli_analyze },
    { "live", ptl_cli_live },
    { "plugins", ptl_cli_plugins },
    { "report", ptl_cli_report },
    { "rules", ptl_cli_rules },
};

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(main_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? PTL_EXIT_FAILED : PTL_EXIT_OK;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("portolan %s\n%s\nGLib %u.%u.%u\ndissector ABI %u\n", PTL_VERSION,
               pcap_lib_version(), glib_major_version, glib_minor_version, glib_micro_version,
               PTL_DISSECTOR_ABI_VERSION);
        return PTL_EXIT_OK;
    }
    /* tcpdump habit: `portolan -r FILE ...` means analyze */
    if (argv[1][0] == '-')
        return ptl_cli_analyze(argc, argv);
    for (guint i = 0; i < G_N_ELEMENTS(main_commands); i++) {
        if (strcmp(argv[1], main_commands[i].name) == 0) {
            argv[1] = argv[0];
            return main_commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "portolan: unknown command '%s' (try 'portolan --help')\n", argv[1]);
    return PTL_EXIT_FAILED;
}
