/* sync's plan said: a line an action, or one JSON document; with --apply,
 * what was done.  No token is ever part of either. */
#ifndef HBCTL_PLAN_SHOW_H
#define HBCTL_PLAN_SHOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

/* What --apply did to one action. */
struct sync_outcome {
	bool attempted;
	bool done;
	const char *id;     /* a created heartbeat's */
	char said[512];     /* what went wrong, or where the token went */
};

/* Action A as its line: the plan's ("create ...") or, with O, what was
 * done ("created ..."). */
void plan_show_line(FILE *out, const struct plan *p, size_t i,
		    const struct found_job *jobs, const struct sync_outcome *o);

/* The plan as one JSON object (O: the outcomes of --apply, or NULL);
 * NULL when memory ran out. */
json_t *plan_json(const struct plan *p, const struct found_job *jobs,
		  const struct sync_outcome *o);

#endif
