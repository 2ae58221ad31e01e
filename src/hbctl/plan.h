/* sync's plan: the jobs found and the heartbeats listed in, what to do
 * for each out.  Pure: no network, no file, no clock (NOW is an
 * argument); the schedules' figures are the schedule module's. */
#ifndef HBCTL_PLAN_H
#define HBCTL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "found.h"
#include "heartbeat.h"

#define SYNC_GRACE_DEFAULT 300
#define SYNC_INTERVAL_MIN 60

enum action_kind {
	ACT_CREATE,
	ACT_UPDATE,
	ACT_OK,
	ACT_UNMONITORED,
	ACT_NO_NAME,
	ACT_SUSPENDED,
	ACT_SKIP,
};

struct action {
	enum action_kind kind;
	const char *name;    /* the job's NAME (NULL for a place without) */
	const struct found_job *first; /* where it was found first */
	size_t *jobs;        /* every found job of NAME (indices), malloc'd */
	size_t njobs;
	long interval, grace;           /* what the heartbeat should have */
	long old_interval, old_grace;   /* update: what it has; -1: same */
	const char *id;      /* update, ok: the listed heartbeat's */
	char why[512];       /* skip */
};

struct plan {
	struct action *v;
	size_t n;
	bool changes;        /* a create or an update */
};

/* The plan for the N jobs JOBS against the NHB heartbeats HB (as listed),
 * at NOW (Unix seconds).  False when memory ran out. */
bool plan_make(const struct found_job *jobs, size_t n,
	       const struct heartbeat *hb, size_t nhb, int64_t now,
	       struct plan *out);

/* The grace of one job: its base (-1: the default) and its timer's
 * delays. */
long plan_job_grace(const struct found_job *j);

/* Whether the Kth job of A is the first of them to take the token to its
 * place (a job without one never is): each place gets the token once. */
bool plan_first_at_its_place(const struct action *a,
			     const struct found_job *jobs, size_t k);

void plan_free(struct plan *p);

#endif
