#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "find_cron.h"
#include "find_manifest.h"
#include "find_units.h"
#include "msg.h"
#include "plan.h"
#include "plan_show.h"
#include "sync_apply.h"
#include "sync_prepare.h"
#include "tickstem.h"

/* The sources named, or the machine's own when none is. */
static bool find_all(const struct sync_sources *src, struct found_list *l)
{
	bool named = src->ncrontab || src->nunits || src->nmanifest;
	bool ok = true;
	if (!named) {
		size_t n = 0;
		while (units_default_dirs[n])
			n++;
		return find_cron_default(l) &&
		       find_units(units_default_dirs, n, l);
	}
	for (size_t i = 0; ok && i < src->ncrontab; i++)
		ok = find_cron_file(src->crontab[i], !src->crontab_user, NULL, l);
	if (ok && src->nunits)
		ok = find_units((const char *const *)src->units, src->nunits, l);
	for (size_t i = 0; ok && i < src->nmanifest; i++)
		ok = find_manifest(src->manifest[i], l);
	return ok;
}

/* The heartbeats as listed, in ROOT's keeping. */
static int list(const struct hbctl_context *cx, json_t **root,
		struct heartbeat **hb, size_t *n)
{
	struct call_result r;
	tickstem_list(&cx->client, &r);
	int status = -1;
	if (r.body_cut)
		status = reply_unexpected(cx, "longer than 1 MiB");
	else if (r.outcome != OUTCOME_SUCCESS)
		status = reply_failed(cx, &r);
	else if (!(*root = json_from_body(r.body, r.body_len)))
		status = reply_unexpected(cx, r.body_len ? "not JSON" : "empty");
	else if (!heartbeat_list_read(*root, hb, n))
		status = reply_unexpected(cx, "no list of heartbeats in it");
	call_result_free(&r);
	return status;
}

static int show(const struct hbctl_context *cx, const struct plan *p,
		const struct found_job *jobs, const struct sync_outcome *o)
{
	if (!cx->args->json) {
		for (size_t i = 0; i < p->n; i++)
			plan_show_line(stdout, p, i, jobs, o ? &o[i] : NULL);
		return HBCTL_EXIT_DONE;
	}
	json_t *doc = plan_json(p, jobs, o);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text) {
		msg_error("sync: out of memory");
		return HBCTL_EXIT_FAILURE;
	}
	puts(text);
	free(text);
	return HBCTL_EXIT_DONE;
}

static int plan_and_act(const struct hbctl_context *cx,
			const struct found_list *l,
			const struct heartbeat *hb, size_t nhb)
{
	struct plan p;
	if (!plan_make(l->v, l->n, hb, nhb, (int64_t)time(NULL), &p)) {
		msg_error("sync: out of memory");
		return HBCTL_EXIT_FAILURE;
	}
	int status = p.changes ? HBCTL_EXIT_CHANGES : HBCTL_EXIT_DONE;
	struct sync_outcome *o = NULL;
	json_t *keep = json_array();
	if (cx->args->sync.apply) {
		o = calloc(p.n ? p.n : 1, sizeof *o);
		status = o ? sync_apply(cx, &p, l->v, o, keep)
			   : HBCTL_EXIT_FAILURE;
	}
	int shown = show(cx, &p, l->v, o);
	if (status == HBCTL_EXIT_DONE || status == HBCTL_EXIT_CHANGES)
		status = shown != HBCTL_EXIT_DONE ? shown : status;
	json_decref(keep);
	free(o);
	plan_free(&p);
	return status;
}

int hbctl_sync(const struct hbctl_context *cx)
{
	struct found_list l = { 0 };
	if (!find_all(&cx->args->sync, &l) ||
	    !sync_prepare(&l)) {
		found_list_free(&l);
		msg_error("sync: out of memory");
		return HBCTL_EXIT_FAILURE;
	}
	json_t *root = NULL;
	struct heartbeat *hb = NULL;
	size_t nhb = 0;
	int status = list(cx, &root, &hb, &nhb);
	if (status < 0)
		status = plan_and_act(cx, &l, hb, nhb);
	free(hb);
	json_decref(root);
	found_list_free(&l);
	return status;
}
