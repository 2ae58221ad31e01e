/* Tickstem's management calls, for hbctl (see hbctl(1)).  Each carries the
 * API key as a bearer token and is retried by the ping's rules within the
 * client's deadline; a create only where it cannot have reached the
 * server, so that a retry never makes a second heartbeat.  Bodies are JSON
 * text, made and read by the caller: this file knows HTTP, not JSON. */
#ifndef HBCTL_TICKSTEM_H
#define HBCTL_TICKSTEM_H

#include <stdbool.h>

#include "call.h"

#define TICKSTEM_RETRIES 5
#define TICKSTEM_ATTEMPT_TIMEOUT 10.0

struct tickstem_client {
	const char *api_url; /* the API base */
	const char *api_key;
	const char *cacert;  /* or NULL */
	bool allow_http;
	double deadline;     /* seconds for all attempts and waits */
};

/* Each fills OUT with what the call came to; call_result_free() it.  A
 * reply body is read up to TICKSTEM_BODY_MAX; OUT->body_cut tells a
 * longer one. */
#define TICKSTEM_BODY_MAX ((size_t)1024 * 1024)
void tickstem_create(const struct tickstem_client *c, const char *body,
		     struct call_result *out);
void tickstem_list(const struct tickstem_client *c, struct call_result *out);
void tickstem_get(const struct tickstem_client *c, const char *id,
		  struct call_result *out);
/* PATCH with BODY: update, and pause or resume on the servers that take a
 * status field there (as Tickstem's Python SDK sends them). */
void tickstem_update(const struct tickstem_client *c, const char *id,
		     const char *body, struct call_result *out);
/* POST /heartbeats/ID/pause (PAUSE true) or .../resume, no body: as
 * Tickstem's Node SDK and MCP server send them. */
void tickstem_pause(const struct tickstem_client *c, const char *id,
		    bool pause, struct call_result *out);
void tickstem_delete(const struct tickstem_client *c, const char *id,
		     struct call_result *out);
void tickstem_pings(const struct tickstem_client *c, const char *id,
		    int limit, struct call_result *out);

#endif
