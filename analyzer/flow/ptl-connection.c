/* ptl-connection.c: the connection evidence of a flow and its words. */
#include "ptl-connection.h"

#define CONNECTION_ICMP4_UNREACHABLE 3
#define CONNECTION_ICMP6_UNREACHABLE 1
#define CONNECTION_ICMP4_PROTOCOL    2
#define CONNECTION_ICMP4_PORT        3
#define CONNECTION_ICMP6_PORT        4
#define CONNECTION_NS_PER_DECISECOND G_GINT64_CONSTANT(100000000)

static const char *const connection_class_names[PTL_CONN_CLASS_COUNT] = {
    [PTL_CONN_ANSWERED] = "answered",
    [PTL_CONN_ONE_SIDED] = "one-sided",
    [PTL_CONN_REFUSED_RST] = "refused-by-rst",
    [PTL_CONN_REFUSED_ICMP] = "refused-by-icmp",
    [PTL_CONN_UNANSWERED] = "unanswered",
    [PTL_CONN_NO_REPLY] = "no-reply",
};

typedef struct {
    const char *text;
    gboolean    is_firewall;
} ConnectionIcmpCode;

/* ICMPv4 destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1) */
static const ConnectionIcmpCode connection_icmp4[] = {
    [0] = { "network unreachable", FALSE },
    [1] = { "host unreachable", FALSE },
    [2] = { "protocol unreachable", FALSE },
    [3] = { "port unreachable", FALSE },
    [4] = { "fragmentation needed", FALSE },
    [5] = { "source route failed", FALSE },
    [6] = { "destination network unknown", FALSE },
    [7] = { "destination host unknown", FALSE },
    [8] = { "source host isolated", FALSE },
    [9] = { "network administratively prohibited", TRUE },
    [10] = { "host administratively prohibited", TRUE },
    [11] = { "network unreachable for type of service", FALSE },
    [12] = { "host unreachable for type of service", FALSE },
    [13] = { "communication administratively prohibited", TRUE },
    [14] = { "host precedence violation", TRUE },
    [15] = { "precedence cutoff in effect", TRUE },
};

/* ICMPv6 destination unreachable codes (RFC 4443 3.1) */
static const ConnectionIcmpCode connection_icmp6[] = {
    [0] = { "no route to destination", FALSE },
    [1] = { "communication administratively prohibited", TRUE },
    [2] = { "beyond scope of source address", FALSE },
    [3] = { "address unreachable", FALSE },
    [4] = { "port unreachable", FALSE },
    [5] = { "source address failed ingress/egress policy", TRUE },
    [6] = { "reject route to destination", TRUE },
};

PtlConnClass
ptl_connection_classify(const PtlConnEvidence *e)
{
    g_return_val_if_fail(e != NULL, PTL_CONN_ANSWERED);
    switch (e->state) {
    case PTL_FLOW_REFUSED:
        return e->refusal == PTL_REFUSED_BY_ICMP ? PTL_CONN_REFUSED_ICMP : PTL_CONN_REFUSED_RST;
    case PTL_FLOW_UNANSWERED:
        return PTL_CONN_UNANSWERED;
    case PTL_FLOW_REQUEST_ONLY:
        return PTL_CONN_NO_REPLY;
    case PTL_FLOW_ONE_SIDED:
        return PTL_CONN_ONE_SIDED;
    default:
        return PTL_CONN_ANSWERED;
    }
}

const char *
ptl_connection_class_name(PtlConnClass klass)
{
    g_return_val_if_fail((guint) klass < PTL_CONN_CLASS_COUNT, "unknown");
    return connection_class_names[klass];
}

gboolean
ptl_connection_is_accepted(PtlConnClass klass)
{
    return klass == PTL_CONN_ANSWERED || klass == PTL_CONN_ONE_SIDED;
}

gboolean
ptl_connection_is_failed(PtlConnClass klass)
{
    return klass == PTL_CONN_REFUSED_RST || klass == PTL_CONN_REFUSED_ICMP ||
           klass == PTL_CONN_UNANSWERED;
}

guint
ptl_connection_rank(PtlConnClass klass)
{
    static const guint ranks[PTL_CONN_CLASS_COUNT] = {
        [PTL_CONN_ANSWERED] = 5, [PTL_CONN_ONE_SIDED] = 4, [PTL_CONN_REFUSED_ICMP] = 3,
        [PTL_CONN_REFUSED_RST] = 3, [PTL_CONN_UNANSWERED] = 2, [PTL_CONN_NO_REPLY] = 1,
    };
    g_return_val_if_fail((guint) klass < PTL_CONN_CLASS_COUNT, 0);
    return ranks[klass];
}

/* NULL when not an unreachable of that family or an unknown code */
static const ConnectionIcmpCode *
connection_icmp_code(guint8 family, guint8 type, guint8 code)
{
    if (family == 6 && type == CONNECTION_ICMP6_UNREACHABLE &&
        code < G_N_ELEMENTS(connection_icmp6))
        return &connection_icmp6[code];
    if (family != 6 && type == CONNECTION_ICMP4_UNREACHABLE &&
        code < G_N_ELEMENTS(connection_icmp4))
        return &connection_icmp4[code];
    return NULL;
}

const char *
ptl_connection_icmp_text(guint8 family, guint8 type, guint8 code, gboolean *is_firewall,
                         char *buf)
{
    const ConnectionIcmpCode *known = connection_icmp_code(family, type, code);
    if (is_firewall != NULL)
        *is_firewall = known != NULL && known->is_firewall;
    if (known != NULL)
        g_strlcpy(buf, known->text, PTL_CONNECTION_TEXT_MAX);
    else
        g_snprintf(buf, PTL_CONNECTION_TEXT_MAX, "unreachable (type %u code %u)", type, code);
    return buf;
}

/* what kind of ICMP refusal: the port, a filter, or the host or network */
typedef enum {
    CONNECTION_ICMP_PORT,
    CONNECTION_ICMP_FILTER,
    CONNECTION_ICMP_ROUTE,
} ConnectionIcmpKind;

static ConnectionIcmpKind
connection_icmp_kind(const PtlConnEvidence *e)
{
    gboolean is_firewall;
    char text[PTL_CONNECTION_TEXT_MAX];
    ptl_connection_icmp_text(e->family, e->icmp_type, e->icmp_code, &is_firewall, text);
    if (is_firewall)
        return CONNECTION_ICMP_FILTER;
    /* protocol unreachable: the host answered too, it just has no such transport */
    gboolean is_port = e->family == 6 ? e->icmp_code == CONNECTION_ICMP6_PORT
                                      : e->icmp_code == CONNECTION_ICMP4_PORT ||
                                        e->icmp_code == CONNECTION_ICMP4_PROTOCOL;
    return is_port ? CONNECTION_ICMP_PORT : CONNECTION_ICMP_ROUTE;
}

const char *
ptl_connection_verb(const PtlConnEvidence *e)
{
    switch (ptl_connection_classify(e)) {
    case PTL_CONN_REFUSED_RST:
        return "was refused by";
    case PTL_CONN_REFUSED_ICMP:
        switch (connection_icmp_kind(e)) {
        case CONNECTION_ICMP_PORT:
            return "was refused by";
        case CONNECTION_ICMP_FILTER:
            return "was blocked on its way to";
        default:
            return "could not reach";
        }
    case PTL_CONN_UNANSWERED:
        return "got no answer from";
    case PTL_CONN_NO_REPLY:
        return "sent datagrams to";
    default:
        return "connected to";
    }
}

const char *
ptl_connection_detail(const PtlConnEvidence *e, char *buf)
{
    char icmp[PTL_CONNECTION_TEXT_MAX];
    buf[0] = '\0';
    switch (ptl_connection_classify(e)) {
    case PTL_CONN_ONE_SIDED:
        g_strlcpy(buf, e->handshake == PTL_HANDSHAKE_NONE
                  ? "the capture shows only one direction of this connection, picked up "
                    "mid-stream; it carried traffic, so it was accepted"
                  : "the capture shows only one direction of this connection; it went on "
                    "past the SYN, so it was accepted", PTL_CONNECTION_TEXT_MAX);
        break;
    case PTL_CONN_REFUSED_RST:
        g_strlcpy(buf, "TCP reset to the SYN: the host is up but nothing accepted the port",
                  PTL_CONNECTION_TEXT_MAX);
        break;
    case PTL_CONN_REFUSED_ICMP: {
        ptl_connection_icmp_text(e->family, e->icmp_type, e->icmp_code, NULL, icmp);
        const char *meaning[] = {
            [CONNECTION_ICMP_PORT] = "the host is up but nothing listens on the port",
            [CONNECTION_ICMP_FILTER] = "a firewall rejected it",
            [CONNECTION_ICMP_ROUTE] = "the host is down or not routed",
        };
        g_snprintf(buf, PTL_CONNECTION_TEXT_MAX, "ICMP%s %s: %s", e->family == 6 ? "v6" : "",
                   icmp, meaning[connection_icmp_kind(e)]);
        break;
    }
    case PTL_CONN_UNANSWERED:
        g_strlcpy(buf, "SYN sent, nothing came back and the client went no further: "
                  "dropped by a firewall, or the host is down", PTL_CONNECTION_TEXT_MAX);
        break;
    case PTL_CONN_NO_REPLY:
        g_strlcpy(buf, "no reply seen; UDP needs none", PTL_CONNECTION_TEXT_MAX);
        break;
    default:
        break;
    }
    return buf;
}

char *
ptl_connection_advice(const PtlConnEvidence *e, const char *client, const char *server,
                      guint8 transport, guint16 port, const char *rule_ref)
{
    const char *proto = transport == 17 ? "UDP" : "TCP";
    const char *where = transport == 17 ? "udp" : "tcp";
    switch (ptl_connection_classify(e)) {
    case PTL_CONN_REFUSED_RST:
        return g_strdup_printf("Check that the service runs on %s and listens on %s/%u (%s); "
                               "the port was reached but nothing accepted it, so opening a "
                               "firewall will not help.", server, where, port, rule_ref);
    case PTL_CONN_REFUSED_ICMP:
        switch (connection_icmp_kind(e)) {
        case CONNECTION_ICMP_PORT:
            return g_strdup_printf("Check that the service runs on %s and listens on %s/%u "
                                   "(%s); nothing listened there.", server, where, port,
                                   rule_ref);
        case CONNECTION_ICMP_FILTER:
            return g_strdup_printf("open %s %u from %s to %s in the firewall that rejected it "
                                   "(%s)", proto, port, client, server, rule_ref);
        default:
            return g_strdup_printf("Check that %s is up and routed from %s (%s).", server,
                                   client, rule_ref);
        }
    case PTL_CONN_UNANSWERED:
        return g_strdup_printf("open %s %u from %s to %s (%s), or check that %s is up: its "
                               "SYNs were dropped", proto, port, client, server, rule_ref,
                               server);
    default:
        return g_strdup_printf("Nothing to change on the network for %s/%u (%s).", where, port,
                               rule_ref);
    }
}

/* "10:00:04.2" (UTC, tenths) */
static void
connection_clock(gint64 ts_ns, char *buf, gsize size)
{
    gint64 tenths = ts_ns / CONNECTION_NS_PER_DECISECOND;
    g_autoptr(GDateTime) t = ts_ns >= 0 ? g_date_time_new_from_unix_utc(tenths / 10) : NULL;
    if (t == NULL) {
        g_strlcpy(buf, "?", size);
        return;
    }
    g_snprintf(buf, size, "%02d:%02d:%02d.%d", g_date_time_get_hour(t),
               g_date_time_get_minute(t), g_date_time_get_second(t), (int) (tenths % 10));
}

char *
ptl_connection_transient_text(const PtlConnEvidence *e, const PtlConnTransient *t)
{
    char until[32], accepted[32], times[32];
    connection_clock(t->last_failure_ns, until, sizeof until);
    connection_clock(t->accepted_ns, accepted, sizeof accepted);
    if (t->failures == 1)
        g_strlcpy(times, "once", sizeof times);
    else
        g_snprintf(times, sizeof times, "%" G_GUINT64_FORMAT " times", t->failures);
    PtlConnClass klass = ptl_connection_classify(e);
    const char *what = klass == PTL_CONN_UNANSWERED ? "unanswered"
                     : klass == PTL_CONN_REFUSED_ICMP && connection_icmp_kind(e)
                       == CONNECTION_ICMP_FILTER ? "blocked" : "refused";
    if (t->was_up_before)
        return g_strdup_printf("%s %s until %s, between accepted connections (accepted again "
                               "by %s): the service restarted", what, times, until, accepted);
    return g_strdup_printf("%s %s until %s, then accepted at %s: the service was still "
                           "starting", what, times, until, accepted);
}

char *
ptl_connection_vantage_note(guint64 one_sided, guint64 tcp_flows)
{
    if (one_sided < PTL_CONNECTION_ONE_SIDED_MIN || one_sided > tcp_flows ||
        one_sided * 100 < tcp_flows * PTL_CONNECTION_ONE_SIDED_PERCENT)
        return NULL;
    return g_strdup_printf("the capture point sees only one direction of %" G_GUINT64_FORMAT
                           " of %" G_GUINT64_FORMAT " TCP flows (asymmetric routing or a "
                           "one-way mirror): absence of replies proves nothing there",
                           one_sided, tcp_flows);
}
