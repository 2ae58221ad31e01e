#include "plan_show.h"

#include <stdlib.h>
#include <string.h>

#include "out.h"

static const char *const verbs[][2] = {
	[ACT_CREATE] = { "create", "created" },
	[ACT_UPDATE] = { "update", "updated" },
	[ACT_OK] = { "ok", "ok" },
	[ACT_UNMONITORED] = { "unmonitored", "unmonitored" },
	[ACT_NO_NAME] = { "no job name", "no job name" },
	[ACT_SUSPENDED] = { "suspended", "suspended" },
	[ACT_SKIP] = { "skip", "skip" },
};

/* Every place of A, comma-separated. */
static void places(FILE *out, const struct action *a,
		   const struct found_job *jobs)
{
	if (!a->njobs) {
		fputs(a->first->place, out);
		return;
	}
	for (size_t k = 0; k < a->njobs; k++)
		fprintf(out, "%s%s", k ? ", " : "", jobs[a->jobs[k]].place);
}

/* Where a created heartbeat's token goes: each distinct place once. */
static void token_places(FILE *out, const struct action *a,
			 const struct found_job *jobs)
{
	for (size_t k = 0; k < a->njobs; k++) {
		const struct found_job *j = &jobs[a->jobs[k]];
		if (!plan_first_at_its_place(a, jobs, k))
			continue;
		if (j->token_to == TOKEN_TO_CONFIG)
			fprintf(out, ", token to %s [%s]", j->dest, j->name);
		else if (j->token_to == TOKEN_TO_FILE)
			fprintf(out, ", token to %s", j->dest);
		else
			fprintf(out, ", token from %s", j->dest);
	}
}

static void show_change(FILE *out, const struct action *a,
			const struct found_job *jobs, const char *name,
			const struct sync_outcome *o)
{
	if (a->kind == ACT_CREATE) {
		fprintf(out, " %s every %ld grace %ld (", name, a->interval,
			a->grace);
		places(out, a, jobs);
		fputc(')', out);
		if (!o)
			token_places(out, a, jobs);
	} else {
		fprintf(out, " %s", name);
		if (a->old_interval >= 0)
			fprintf(out, " interval %ld -> %ld", a->old_interval,
				a->interval);
		if (a->old_grace >= 0)
			fprintf(out, " grace %ld -> %ld", a->old_grace,
				a->grace);
	}
}

void plan_show_line(FILE *out, const struct plan *p, size_t i,
		    const struct found_job *jobs, const struct sync_outcome *o)
{
	const struct action *a = &p->v[i];
	bool did = o && o->attempted && o->done;
	char *name = out_clean(a->name ? a->name : a->first->place);
	char *cmd = out_clean(a->first->command ? a->first->command : "");
	fputs(verbs[a->kind][did], out);
	if (o && o->attempted && !o->done)
		fputs(" failed:", out);
	switch (a->kind) {
	case ACT_CREATE:
	case ACT_UPDATE: show_change(out, a, jobs, name ? name : "?", o); break;
	case ACT_OK: fprintf(out, " %s", name ? name : "?"); break;
	case ACT_UNMONITORED:
		fprintf(out, " %s %s", a->first->place, cmd ? cmd : "?");
		break;
	case ACT_NO_NAME: fprintf(out, " %s", a->first->place); break;
	case ACT_SUSPENDED:
		fprintf(out, " %s (%s)", name ? name : "?", a->first->place);
		break;
	case ACT_SKIP: fprintf(out, " %s: %s", name ? name : "?", a->why); break;
	}
	if (o && o->attempted && o->said[0])
		fprintf(out, ": %s", o->said);
	fputc('\n', out);
	free(name);
	free(cmd);
}

/* S as a JSON string; a file's bytes that are no UTF-8 shown as '?'. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *c = strdup(s);
	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = c ? json_string(c) : NULL;
	free(c);
	return j;
}

static json_t *places_json(const struct action *a,
			   const struct found_job *jobs)
{
	json_t *arr = json_array();
	if (!a->njobs)
		json_array_append_new(arr, jstr(a->first->place));
	for (size_t k = 0; k < a->njobs; k++)
		json_array_append_new(arr, jstr(jobs[a->jobs[k]].place));
	return arr;
}

static const char *const token_kinds[] = {
	[TOKEN_TO_CONFIG] = "config", [TOKEN_TO_FILE] = "token_file",
	[TOKEN_TO_SECRET] = "secret", [TOKEN_TO_NOWHERE] = "nowhere",
};

static json_t *tokens_json(const struct action *a,
			   const struct found_job *jobs)
{
	json_t *arr = json_array();
	for (size_t k = 0; k < a->njobs; k++) {
		const struct found_job *j = &jobs[a->jobs[k]];
		json_array_append_new(arr, json_pack("{s:s, s:o}",
			"to", token_kinds[j->token_to], "where", jstr(j->dest)));
	}
	return arr;
}

static json_t *action_json(const struct action *a,
			   const struct found_job *jobs,
			   const struct sync_outcome *o)
{
	json_t *x = json_pack("{s:s, s:o, s:o}", "action", verbs[a->kind][0],
			      "name", jstr(a->name), "places",
			      places_json(a, jobs));
	if (!x)
		return NULL;
	if (a->kind == ACT_CREATE || a->kind == ACT_UPDATE || a->kind == ACT_OK) {
		json_object_set_new(x, "interval", json_integer(a->interval));
		json_object_set_new(x, "grace", json_integer(a->grace));
	}
	if (a->kind == ACT_UPDATE) {
		if (a->old_interval >= 0)
			json_object_set_new(x, "old_interval",
					    json_integer(a->old_interval));
		if (a->old_grace >= 0)
			json_object_set_new(x, "old_grace",
					    json_integer(a->old_grace));
	}
	if (a->id)
		json_object_set_new(x, "id", jstr(a->id));
	if (a->kind == ACT_CREATE)
		json_object_set_new(x, "token", tokens_json(a, jobs));
	if (a->kind == ACT_UNMONITORED && a->first->command)
		json_object_set_new(x, "command",
				    jstr(a->first->command));
	if (a->kind == ACT_SKIP)
		json_object_set_new(x, "why", jstr(a->why));
	if (o && o->attempted) {
		json_object_set_new(x, "done", json_boolean(o->done));
		if (o->id)
			json_object_set_new(x, "id", jstr(o->id));
		if (o->said[0])
			json_object_set_new(x, "said", jstr(o->said));
	}
	return x;
}

json_t *plan_json(const struct plan *p, const struct found_job *jobs,
		  const struct sync_outcome *o)
{
	json_t *actions = json_array();
	for (size_t i = 0; actions && i < p->n; i++) {
		json_t *x = action_json(&p->v[i], jobs, o ? &o[i] : NULL);
		if (!x || json_array_append_new(actions, x) != 0) {
			json_decref(actions);
			return NULL;
		}
	}
	return json_pack("{s:b, s:b, s:o}", "changes", p->changes,
			 "applied", o != NULL, "actions", actions);
}
