/* ptl-connection.h: what the capture shows of a connection attempt, and the
 * words for it.
 *
 * A flow's state, how it was refused and the ICMP type/code fold into one
 * PtlConnClass; every finding that mentions the connection takes its verb,
 * its parenthesis and its advice from here, so "refused" is never written
 * where the capture shows "unanswered", and silence on a one-sided flow is
 * never called an answer missing.  Transient failures (refused, then
 * accepted later in the same capture) get their own sentence. */
#pragma once

#include <glib.h>

#include "ptl-flow.h"

typedef enum {
    PTL_CONN_ANSWERED,      /* both directions, the server took part */
    PTL_CONN_ONE_SIDED,     /* one direction seen, the connection went on */
    PTL_CONN_REFUSED_RST,   /* SYN answered by RST */
    PTL_CONN_REFUSED_ICMP,  /* ICMP destination unreachable */
    PTL_CONN_UNANSWERED,    /* TCP SYNs, nothing back */
    PTL_CONN_NO_REPLY,      /* UDP datagrams, no reply (none may be due) */
    PTL_CONN_CLASS_COUNT
} PtlConnClass;

/* The evidence a finding rests on: plain data, copied with the flow record. */
typedef struct {
    PtlFlowState state;
    guint8       refusal;    /* PtlRefusal */
    guint8       family;     /* 4 or 6: which ICMP the type and code are of */
    guint8       icmp_type, icmp_code;
    guint8       handshake;  /* PtlHandshake */
} PtlConnEvidence;

PtlConnClass ptl_connection_classify(const PtlConnEvidence *e);
/* "answered", "one-sided", "refused-by-rst", "refused-by-icmp", "unanswered", "no-reply" */
const char  *ptl_connection_class_name(PtlConnClass klass);
/* TRUE when the server (or the other side) took the connection: answered or one-sided */
gboolean     ptl_connection_is_accepted(PtlConnClass klass);
/* TRUE when the connection failed: refused or unanswered */
gboolean     ptl_connection_is_failed(PtlConnClass klass);
/* For ranking what several flows of one finding show: the more the capture
 * proves, the higher. */
guint        ptl_connection_rank(PtlConnClass klass);

/* ICMP unreachable in words ("port unreachable", "communication
 * administratively prohibited"), for ICMPv4 type 3 or ICMPv6 type 1;
 * "unreachable (type T code C)" otherwise.  is_firewall: a filter sent it.
 * Writes into buf (PTL_CONNECTION_TEXT_MAX) and returns it. */
#define PTL_CONNECTION_TEXT_MAX 200
const char *ptl_connection_icmp_text(guint8 family, guint8 type, guint8 code,
                                     gboolean *is_firewall, char *buf);

/* "A <verb> B on tcp/80": "connected to", "was refused by", "got no answer from" ... */
const char *ptl_connection_verb(const PtlConnEvidence *e);
/* What the evidence means, without a leading capital or final stop:
 * "TCP reset: nothing accepted the port", "ICMP port unreachable: nothing
 * listens on the port", "the capture shows only one direction; the connection
 * went on, so it was accepted". */
const char *ptl_connection_detail(const PtlConnEvidence *e, char *buf);

/* Advice for a failed connection on a documented port: what to check.
 * transfer full */
char *ptl_connection_advice(const PtlConnEvidence *e, const char *client, const char *server,
                            guint8 transport, guint16 port, const char *rule_ref);

/* Failed attempts followed by an accepted one on the same client, server and port. */
typedef struct {
    guint64  failures;
    gint64   last_failure_ns;   /* last packet of the last failed attempt */
    gint64   accepted_ns;       /* start of the first accepted connection after it */
    gboolean was_up_before;     /* an accepted connection also preceded the failures */
} PtlConnTransient;

/* "refused 3 times until 10:00:04.2, then accepted at 10:00:07.9: the service
 * was still starting"; transfer full */
char *ptl_connection_transient_text(const PtlConnEvidence *e, const PtlConnTransient *t);

/* Thresholds for saying, once per report, that the capture point sees one direction. */
#define PTL_CONNECTION_ONE_SIDED_MIN      2   /* flows */
#define PTL_CONNECTION_ONE_SIDED_PERCENT  10  /* of the TCP flows */

/* The capture-level note when many TCP flows are one-sided, else NULL: "the
 * capture point sees only one direction of 2 of 2 TCP flows (asymmetric
 * routing or a one-way mirror): absence of replies proves nothing there".
 * transfer full */
char *ptl_connection_vantage_note(guint64 one_sided, guint64 tcp_flows);
