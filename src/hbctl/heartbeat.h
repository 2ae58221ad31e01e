/* The Tickstem objects as JSON, through jansson: heartbeats and pings read
 * from replies, request bodies written, error texts found.  hbctl parses
 * or writes no JSON anywhere else; hbrun none at all. */
#ifndef HBCTL_HEARTBEAT_H
#define HBCTL_HEARTBEAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One heartbeat as a reply gives it.  The strings point into the json_t
 * they were read from and live as long as it does; NULL where a field is
 * null, absent or not a string.  Numbers are -1 where absent or not an
 * integer: a reply missing a field still shows the rest. */
struct heartbeat {
	const char *id;
	const char *name;
	const char *token;
	const char *status; /* active, paused or failing */
	long long interval_secs;
	long long grace_secs;
	long long consecutive_misses;
	const char *last_pinged_at; /* RFC 3339 as the API gives it */
	const char *next_expected_at;
	const char *created_at;
	const char *updated_at;
};

struct ping_record {
	const char *id;
	const char *heartbeat_id;
	const char *pinged_at;
};

/* BODY as one JSON document; NULL when it is not one.  json_decref() it. */
json_t *json_from_body(const char *body, size_t len);

/* Read OBJ; false unless it is an object with a string "id". */
bool heartbeat_read(const json_t *obj, struct heartbeat *hb);
bool ping_read(const json_t *obj, struct ping_record *p);

/* The array under "heartbeats" (or "pings") of ROOT, every element read:
 * *OUT is a malloc'd array of *N, NULL when there are none.  An explicit
 * null counts as empty.  False when ROOT is not of that shape: an absent
 * array is a reply that lacks what was asked for. */
bool heartbeat_list_read(const json_t *root, struct heartbeat **out,
			 size_t *n);
bool ping_list_read(const json_t *root, struct ping_record **out, size_t *n);

/* Whether ROOT is an object holding KEY as an array or null: the shape of a
 * list reply, judged even where the reply is printed as it came. */
bool json_has_list(const json_t *root, const char *key);

/* OBJ as compact JSON text to free(), its keys in their order; NULL when
 * memory ran out. */
char *json_text(const json_t *obj);

/* Request bodies, as compact JSON text to free(); NULL when NAME is not
 * valid UTF-8 (JSON cannot carry it) or memory ran out.
 * create: every field, always.  update: only those given (NAME not NULL,
 * INTERVAL and GRACE not negative).  status: {"status": STATUS}. */
char *create_body(const char *name, int interval, int grace);
char *update_body(const char *name, int interval, int grace);
char *status_body(const char *status);

/* What an error reply says: its "error" string, else its "message", else
 * the body itself, white space squeezed to single spaces; "" for an empty
 * body. */
void error_text(const char *body, size_t len, char *buf, size_t size);

#endif
