/* What one of hbctl's calls came to, said or shown: a failure as one line
 * with the server's words (the API key never among them), a 2xx reply as a
 * table, key: value lines or the JSON as it came; each function returns
 * hbctl's exit status. */
#ifndef HBCTL_REPLY_H
#define HBCTL_REPLY_H

#include <jansson.h>

#include "call.h"
#include "cli.h"
#include "heartbeat.h"
#include "settings.h"
#include "tickstem.h"

/* What a command works with. */
struct hbctl_context {
	const struct hbctl_args *args;
	const struct settings *settings;
	struct tickstem_client client;
};

typedef int show_fn(const struct hbctl_context *cx, const json_t *root);

/* How a command shows a 2xx reply. */
struct view {
	show_fn *show;        /* NULL: the reply need hold nothing (delete) */
	const char *list_key; /* a list reply's array, judged with --json too */
};

/* A heartbeat as key: value lines; a list of heartbeats, of pings; and
 * nothing at all (--json: the reply if it is JSON). */
extern const struct view reply_heartbeat, reply_list, reply_pings,
	reply_nothing;

/* After a management call: a reply longer than the limit is unexpected,
 * a failure is said (reply_failed), a 2xx reply shown (reply_show). */
int reply_conclude(const struct hbctl_context *cx, const struct call_result *r,
		   const struct view *v);

/* R, a call that did not succeed, as one line. */
int reply_failed(const struct hbctl_context *cx, const struct call_result *r);

/* R, a 2xx reply, shown by V (or as it came, for --json). */
int reply_show(const struct hbctl_context *cx, const struct call_result *r,
	       const struct view *v);

/* "COMMAND: unexpected reply: WHY"; exit 1. */
int reply_unexpected(const struct hbctl_context *cx, const char *why);

/* A request body that JSON cannot carry: the user's value; exit 2. */
int reply_no_body(const struct hbctl_context *cx);

/* HB as get shows it, its ping URL included. */
void reply_print_heartbeat(const struct hbctl_context *cx,
			   const struct heartbeat *hb);

#endif
