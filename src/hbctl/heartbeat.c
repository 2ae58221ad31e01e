#include "heartbeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_from_body(const char *body, size_t len)
{
	json_error_t err;
	if (!body)
		return NULL;
	/* Flags 0: an object or an array, and nothing after it. */
	return json_loadb(body, len, 0, &err);
}

static const char *string_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static long long integer_at(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

bool heartbeat_read(const json_t *obj, struct heartbeat *hb)
{
	memset(hb, 0, sizeof *hb);
	if (!json_is_object(obj) || !string_at(obj, "id"))
		return false;
	hb->id = string_at(obj, "id");
	hb->name = string_at(obj, "name");
	hb->token = string_at(obj, "token");
	hb->status = string_at(obj, "status");
	hb->interval_secs = integer_at(obj, "interval_secs");
	hb->grace_secs = integer_at(obj, "grace_secs");
	hb->consecutive_misses = integer_at(obj, "consecutive_misses");
	hb->last_pinged_at = string_at(obj, "last_pinged_at");
	hb->next_expected_at = string_at(obj, "next_expected_at");
	hb->created_at = string_at(obj, "created_at");
	hb->updated_at = string_at(obj, "updated_at");
	return true;
}

bool ping_read(const json_t *obj, struct ping_record *p)
{
	memset(p, 0, sizeof *p);
	if (!json_is_object(obj) || !string_at(obj, "id"))
		return false;
	p->id = string_at(obj, "id");
	p->heartbeat_id = string_at(obj, "heartbeat_id");
	p->pinged_at = string_at(obj, "pinged_at");
	return true;
}

bool json_has_list(const json_t *root, const char *key)
{
	const json_t *v = json_is_object(root) ? json_object_get(root, key)
					       : NULL;
	return json_is_array(v) || json_is_null(v);
}

/* The SDKs' rule: a null list is an empty one.  An absent one is no list:
 * a reply of {} is not taken for "no heartbeats". */
static bool list_under(const json_t *root, const char *key,
		       const json_t **list, size_t *n)
{
	*list = NULL;
	*n = 0;
	if (!json_has_list(root, key))
		return false;
	const json_t *v = json_object_get(root, key);
	if (json_is_null(v))
		return true;
	*list = v;
	*n = json_array_size(v);
	return true;
}

bool heartbeat_list_read(const json_t *root, struct heartbeat **out,
			 size_t *n)
{
	const json_t *list;
	size_t count;
	*out = NULL;
	*n = 0;
	if (!list_under(root, "heartbeats", &list, &count))
		return false;
	if (count == 0)
		return true;
	struct heartbeat *hb = calloc(count, sizeof *hb);
	if (!hb)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (!heartbeat_read(json_array_get(list, i), &hb[i])) {
			free(hb);
			return false;
		}
	}
	*out = hb;
	*n = count;
	return true;
}

bool ping_list_read(const json_t *root, struct ping_record **out, size_t *n)
{
	const json_t *list;
	size_t count;
	*out = NULL;
	*n = 0;
	if (!list_under(root, "pings", &list, &count))
		return false;
	if (count == 0)
		return true;
	struct ping_record *p = calloc(count, sizeof *p);
	if (!p)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (!ping_read(json_array_get(list, i), &p[i])) {
			free(p);
			return false;
		}
	}
	*out = p;
	*n = count;
	return true;
}

/* OBJ as compact text, OBJ released; NULL if OBJ is. */
static char *dump(json_t *obj)
{
	if (!obj)
		return NULL;
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

char *json_text(const json_t *obj)
{
	return json_dumps(obj, JSON_COMPACT);
}

char *create_body(const char *name, int interval, int grace)
{
	/* json_pack fails on a name that is not valid UTF-8. */
	return dump(json_pack("{s:s, s:i, s:i}", "name", name, "interval_secs",
			      interval, "grace_secs", grace));
}

char *update_body(const char *name, int interval, int grace)
{
	json_t *obj = json_object();
	bool ok = obj != NULL;
	if (ok && name)
		ok = json_object_set_new(obj, "name", json_string(name)) == 0;
	if (ok && interval >= 0)
		ok = json_object_set_new(obj, "interval_secs",
					 json_integer(interval)) == 0;
	if (ok && grace >= 0)
		ok = json_object_set_new(obj, "grace_secs",
					 json_integer(grace)) == 0;
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return dump(obj);
}

char *status_body(const char *status)
{
	return dump(json_pack("{s:s}", "status", status));
}

/* S (LEN bytes) into BUF with every run of white space or control bytes
 * turned into one space, and none at either end: one line for a message. */
static void squeeze(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;
	bool gap = false;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f) {
			gap = o > 0;
			continue;
		}
		if (gap) {
			if (o + 2 >= size)
				break;
			buf[o++] = ' ';
			gap = false;
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
}

void error_text(const char *body, size_t len, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	if (!body || len == 0)
		return;
	json_t *root = json_from_body(body, len);
	const char *said = json_is_object(root) ? string_at(root, "error") : NULL;
	if (!said || !*said)
		said = json_is_object(root) ? string_at(root, "message") : NULL;
	if (said && *said)
		squeeze(said, strlen(said), buf, size);
	else
		squeeze(body, len, buf, size);
	json_decref(root);
}
