/* ptl-finding-text.h: the words of a finding, for every renderer.
 *
 * The judge (ptl-verdict.h) gives plain data; this module turns one finding
 * into the sentence a support engineer pastes into a ticket (message) and
 * what to do about it (advice).  Wording matches the evidence: a guess is
 * called one and says how to turn it into a declaration. */
#pragma once

#include <glib.h>

#include "ptl-verdict.h"

#define PTL_FINDING_TEXT_MAX 160   /* roles or sources as text */

typedef struct {
    char client[PTL_ADDR_STRLEN], server[PTL_ADDR_STRLEN];
    char where[PTL_ADDR_STRLEN + 16];   /* "tcp/2181" */
} PtlFindingNames;

/* the finding's client, server and "tcp/2181" */
void ptl_finding_names(const PtlFinding *f, PtlFindingNames *n);
/* transfer full */
char *ptl_finding_message(const PtlVerdict *v, const PtlFinding *f);
/* transfer full */
char *ptl_finding_advice(const PtlFinding *f);
/* "sisense discovery-zookeeper-client (Sisense multi-node ports, row 40; sisense.rules:40)";
 * transfer full */
char *ptl_finding_rule_text(const PtlRule *rule);
/* "nodes, admins, listener.logz.io" (a rule's sources, is_plural) or "node,
 * admin" (a host's roles); writes into buf (PTL_FINDING_TEXT_MAX) and returns it */
const char *ptl_finding_roles_text(guint32 mask, char **hosts, gboolean is_plural, char *buf);
