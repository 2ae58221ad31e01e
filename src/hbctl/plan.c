#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

static struct action *plan_add(struct plan *p, enum action_kind kind,
			       const struct found_job *j)
{
	struct action *v = realloc(p->v, (p->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	p->v = v;
	struct action *a = &v[p->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->first = j;
	a->name = j->name;
	a->old_interval = a->old_grace = -1;
	return a;
}

long plan_job_grace(const struct found_job *j)
{
	return (j->grace >= 0 ? j->grace : SYNC_GRACE_DEFAULT) + j->extra_grace;
}

static bool same_name(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Every job named as JOBS[FIRST], into A->jobs. */
static bool gather(struct action *a, const struct found_job *jobs, size_t n,
		   size_t first)
{
	a->jobs = calloc(n - first, sizeof *a->jobs);
	if (!a->jobs)
		return false;
	for (size_t i = first; i < n; i++)
		if (jobs[i].kind == FOUND_JOB &&
		    same_name(jobs[i].name, jobs[first].name))
			a->jobs[a->njobs++] = i;
	return true;
}

/* A NAME that cannot be planned: PLACE: WHY. */
static bool skip(struct action *a, const char *place, const char *why)
{
	a->kind = ACT_SKIP;
	snprintf(a->why, sizeof a->why, "%s: %s", place, why);
	return false;
}

/* The interval of the union of the jobs' schedules: the longest gap of
 * their due times, or the shortest OnUnitActiveSec= if shorter. */
static bool interval_of(struct action *a, const struct found_job *jobs,
			struct schedule *s, int64_t now)
{
	long every = 0;
	char err[256];
	for (size_t k = 0; k < a->njobs; k++) {
		const struct found_job *j = &jobs[a->jobs[k]];
		const char *tz = j->tz ? j->tz : j->section_tz;
		for (size_t e = 0; e < j->exprs.n; e++)
			if (schedule_add(s, j->exprs.v[e], tz, err,
					 sizeof err) != 0)
				return skip(a, j->place, err);
		if (j->every > 0 && (every == 0 || j->every < every))
			every = j->every;
	}
	a->interval = every;
	if (schedule_count(s) > 0) {
		struct schedule_gaps g;
		if (schedule_gaps(s, now, &g) != 0)
			return skip(a, a->first->place,
				    "the schedule is due fewer than twice in "
				    "29 years");
		if (every == 0 || g.longest < every)
			a->interval = (long)g.longest;
	}
	if (a->interval < SYNC_INTERVAL_MIN)
		a->interval = SYNC_INTERVAL_MIN;
	return true;
}

/* A heartbeat to create: only where each of its jobs can take the token. */
static void to_create(struct action *a, const struct found_job *jobs)
{
	a->kind = ACT_CREATE;
	for (size_t k = 0; k < a->njobs; k++) {
		const struct found_job *j = &jobs[a->jobs[k]];
		if (j->token_to == TOKEN_TO_NOWHERE) {
			skip(a, j->place,
			     j->dest ? j->dest : "its token has nowhere to go");
			return;
		}
	}
}

/* Create, update, leave, or refuse where several heartbeats have NAME. */
static void against_listed(struct action *a, const struct found_job *jobs,
			   const struct heartbeat *hb, size_t nhb)
{
	const struct heartbeat *found = NULL;
	size_t count = 0;
	for (size_t i = 0; i < nhb; i++)
		if (same_name(hb[i].name, a->name)) {
			found = &hb[i];
			count++;
		}
	if (count == 0) {
		to_create(a, jobs);
		return;
	}
	if (count > 1) {
		a->kind = ACT_SKIP;
		snprintf(a->why, sizeof a->why, "%zu heartbeats have this name; "
			 "nothing changed (update one by its ID)", count);
		return;
	}
	a->id = found->id;
	if (found->interval_secs != a->interval)
		a->old_interval = (long)found->interval_secs;
	if (found->grace_secs != a->grace)
		a->old_grace = (long)found->grace_secs;
	a->kind = a->old_interval >= 0 || a->old_grace >= 0 ? ACT_UPDATE
							     : ACT_OK;
}

static bool named_job(struct plan *p, const struct found_job *jobs, size_t n,
		      size_t i, const struct heartbeat *hb, size_t nhb,
		      int64_t now)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->v[k].jobs && same_name(p->v[k].name, jobs[i].name))
			return true; /* one action for every place of NAME */
	struct action *a = plan_add(p, ACT_OK, &jobs[i]);
	struct schedule *s = schedule_new();
	if (!a || !s || !gather(a, jobs, n, i)) {
		schedule_free(s);
		return false;
	}
	for (size_t k = 0; k < a->njobs; k++) {
		long g = plan_job_grace(&jobs[a->jobs[k]]);
		if (g > a->grace)
			a->grace = g;
	}
	if (interval_of(a, jobs, s, now))
		against_listed(a, jobs, hb, nhb);
	schedule_free(s);
	return true;
}

/* A found job that cannot be planned: its place stands for its name where
 * it has none. */
static bool skip_found(struct plan *p, const struct found_job *j,
		       const char *why)
{
	struct action *a = plan_add(p, ACT_SKIP, j);
	if (a && j->name)
		skip(a, j->place, why);
	else if (a)
		snprintf(a->why, sizeof a->why, "%s", why);
	return a != NULL;
}

/* A job that makes no heartbeat is still judged by its schedule: a line
 * its scheduler would refuse is a skip, not a job. */
static bool schedule_usable(const struct found_job *j, char *err, size_t len)
{
	struct schedule *s = schedule_new();
	bool ok = s != NULL;
	const char *tz = j->tz ? j->tz : j->section_tz;
	for (size_t e = 0; ok && e < j->exprs.n; e++)
		ok = schedule_add(s, j->exprs.v[e], tz, err, len) == 0;
	if (!s)
		snprintf(err, len, "out of memory");
	schedule_free(s);
	return ok;
}

static bool one_job(struct plan *p, const struct found_job *jobs, size_t n,
		    size_t i, const struct heartbeat *hb, size_t nhb,
		    int64_t now)
{
	const struct found_job *j = &jobs[i];
	char err[256];
	if (j->kind != FOUND_JOB && j->kind != FOUND_UNREADABLE &&
	    !schedule_usable(j, err, sizeof err))
		return skip_found(p, j, err);
	switch (j->kind) {
	case FOUND_JOB:
		return named_job(p, jobs, n, i, hb, nhb, now);
	case FOUND_UNMONITORED:
		return plan_add(p, ACT_UNMONITORED, j) != NULL;
	case FOUND_NO_NAME:
		return plan_add(p, ACT_NO_NAME, j) != NULL;
	case FOUND_SUSPENDED:
		return plan_add(p, ACT_SUSPENDED, j) != NULL;
	case FOUND_UNREADABLE:
		return skip_found(p, j, j->why);
	}
	return true;
}

bool plan_make(const struct found_job *jobs, size_t n,
	       const struct heartbeat *hb, size_t nhb, int64_t now,
	       struct plan *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (!one_job(out, jobs, n, i, hb, nhb, now)) {
			plan_free(out);
			return false;
		}
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].kind == ACT_CREATE || out->v[i].kind == ACT_UPDATE)
			out->changes = true;
	return true;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].jobs);
	free(p->v);
	memset(p, 0, sizeof *p);
}

bool plan_first_at_its_place(const struct action *a,
			     const struct found_job *jobs, size_t k)
{
	const struct found_job *j = &jobs[a->jobs[k]];
	if (!j->dest)
		return false;
	for (size_t m = 0; m < k; m++) {
		const char *other = jobs[a->jobs[m]].dest;
		if (other && strcmp(other, j->dest) == 0)
			return false;
	}
	return true;
}
