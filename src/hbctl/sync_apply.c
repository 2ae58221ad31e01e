#include "sync_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_edit.h"
#include "heartbeat.h"
#include "msg.h"
#include "tickstem.h"

/* What a failed call came to, in OUT's words; its exit status. */
static int call_failed(const struct call_result *r, struct sync_outcome *o)
{
	char text[256] = "";
	if (r->body_cut)
		snprintf(text, sizeof text, "reply longer than 1 MiB");
	else if (r->outcome == OUTCOME_REJECTED)
		error_text(r->body, r->body_len, text, sizeof text);
	if (r->outcome == OUTCOME_REJECTED)
		snprintf(o->said, sizeof o->said, "HTTP %ld%s%s", (long)r->status,
			 *text ? ": " : "", text);
	else
		snprintf(o->said, sizeof o->said, "%s",
			 *text ? text : *r->error ? r->error
						  : "no reply from the server");
	o->done = false;
	return r->body_cut ? (int)HBCTL_EXIT_FAILURE : (int)hbctl_exit_of(r);
}

/* The token into every distinct place its jobs read it from. */
static bool place_token(const struct action *a, const struct found_job *jobs,
			const char *token, struct sync_outcome *o)
{
	size_t used = 0;
	for (size_t k = 0; k < a->njobs; k++) {
		const struct found_job *j = &jobs[a->jobs[k]];
		if (!plan_first_at_its_place(a, jobs, k))
			continue;
		char why[sizeof o->said - 128];
		bool ok = true;
		if (j->token_to == TOKEN_TO_CONFIG)
			ok = conf_write_token(j->dest, j->name, token, why,
					      sizeof why);
		else if (j->token_to == TOKEN_TO_FILE)
			ok = token_file_write(j->dest, token, why, sizeof why);
		else
			snprintf(why, sizeof why, "%s", j->dest);
		int n = snprintf(o->said + used, sizeof o->said - used, "%s%s%s",
				 used ? ", " : "",
				 ok ? j->token_to == TOKEN_TO_SECRET
					      ? "put its token in " : "token in "
				    : "token NOT written: ",
				 j->token_to == TOKEN_TO_SECRET || !ok ? why
								       : j->dest);
		if (n > 0 && (size_t)n < sizeof o->said - used)
			used += (size_t)n;
		if (!ok)
			return false;
	}
	return true;
}

static int apply_create(const struct hbctl_context *cx, const struct action *a,
			const struct found_job *jobs, struct sync_outcome *o,
			json_t *keep)
{
	char *body = create_body(a->name, (int)a->interval, (int)a->grace);
	if (!body) {
		snprintf(o->said, sizeof o->said, "the name cannot be sent "
			 "as JSON");
		return HBCTL_EXIT_USAGE;
	}
	struct call_result r;
	tickstem_create(&cx->client, body, &r);
	free(body);
	int status = HBCTL_EXIT_DONE;
	json_t *root = NULL;
	struct heartbeat hb;
	if (r.body_cut || r.outcome != OUTCOME_SUCCESS)
		status = call_failed(&r, o);
	else if (!(root = json_from_body(r.body, r.body_len)) ||
		 !heartbeat_read(root, &hb) || !hb.token) {
		snprintf(o->said, sizeof o->said, "unexpected reply: no "
			 "heartbeat with a token in it");
		status = HBCTL_EXIT_FAILURE;
	} else {
		msg_add_secret(hb.token);
		json_array_append(keep, root);
		o->id = hb.id;
		o->done = true;
		if (!place_token(a, jobs, hb.token, o)) {
			snprintf(o->said + strlen(o->said),
				 sizeof o->said - strlen(o->said),
				 " (hbctl get %s shows it)", hb.id);
			status = HBCTL_EXIT_FAILURE;
		}
	}
	json_decref(root);
	call_result_free(&r);
	return status;
}

static int apply_update(const struct hbctl_context *cx, const struct action *a,
			struct sync_outcome *o)
{
	char *body = update_body(NULL, a->old_interval >= 0 ? (int)a->interval
							    : -1,
				 a->old_grace >= 0 ? (int)a->grace : -1);
	if (!body) {
		snprintf(o->said, sizeof o->said, "out of memory");
		return HBCTL_EXIT_FAILURE;
	}
	struct call_result r;
	tickstem_update(&cx->client, a->id, body, &r);
	free(body);
	int status = HBCTL_EXIT_DONE;
	if (r.body_cut || r.outcome != OUTCOME_SUCCESS)
		status = call_failed(&r, o);
	else
		o->done = true;
	call_result_free(&r);
	return status;
}

int sync_apply(const struct hbctl_context *cx, const struct plan *p,
	       const struct found_job *jobs, struct sync_outcome *out, json_t *keep)
{
	int worst = HBCTL_EXIT_DONE;
	for (size_t i = 0; i < p->n; i++) {
		const struct action *a = &p->v[i];
		int status = HBCTL_EXIT_DONE;
		memset(&out[i], 0, sizeof out[i]);
		if (a->kind != ACT_CREATE && a->kind != ACT_UPDATE)
			continue;
		out[i].attempted = true;
		status = a->kind == ACT_CREATE
				 ? apply_create(cx, a, jobs, &out[i], keep)
				 : apply_update(cx, a, &out[i]);
		if (status != HBCTL_EXIT_DONE && worst == HBCTL_EXIT_DONE)
			worst = status;
		/* A key refused once is refused for every other change. */
		if (status == HBCTL_EXIT_UNAUTHORIZED)
			break;
	}
	return worst;
}
