/* sync --apply: the plan carried out, each create and update once, and a
 * created heartbeat's token written where its jobs will read it. */
#ifndef HBCTL_SYNC_APPLY_H
#define HBCTL_SYNC_APPLY_H

#include "found.h"
#include "plan.h"
#include "plan_show.h"
#include "reply.h"

/* Carry out P, each action's outcome into OUT[i] (P->n of them); the
 * created heartbeats' replies are kept in KEEP (a JSON array, for the ids
 * the outcomes point to).  Returns hbctl's exit status: 0 when every
 * change was made and every token written. */
int sync_apply(const struct hbctl_context *cx, const struct plan *p,
	       const struct found_job *jobs, struct sync_outcome *out,
	       json_t *keep);

#endif
