#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "template.h"
#include "url.h"

/* Uptime Kuma on MariaDB refuses a ping time of a million ms or more,
 * and then keeps failing: a longer run is sent as the most it takes. */
#define KUMA_MAX_PING_MS 999999LL

static const struct service services[] = {
	{ "tickstem", DEFAULT_API_URL,
	  { [EVENT_SUCCESS] = "/heartbeats/{token}/ping" }, "POST", 0 },
	{ "healthchecks", "https://hc-ping.com",
	  { [EVENT_START] = "/{token}/start?rid={run_id}",
	    [EVENT_SUCCESS] = "/{token}?rid={run_id}",
	    [EVENT_FAIL] = "/{token}/{exit_status}?rid={run_id}" }, "POST", 0 },
	{ "betterstack", "https://uptime.betterstack.com/api/v1/heartbeat",
	  { [EVENT_SUCCESS] = "/{token}",
	    [EVENT_FAIL] = "/{token}/{exit_status}" }, "POST", 0 },
	/* Kuma's push endpoint takes GET in every version. */
	{ "uptime-kuma", NULL,
	  { [EVENT_SUCCESS] = "/api/push/{token}?status=up&msg=OK"
			      "&ping={duration_ms}",
	    [EVENT_FAIL] = "/api/push/{token}?status=down&msg={message}"
			   "&ping={duration_ms}" }, "GET", KUMA_MAX_PING_MS },
	{ "deadmanssnitch", "https://nosnch.in",
	  { [EVENT_SUCCESS] = "/{token}?s=0",
	    [EVENT_FAIL] = "/{token}?s={exit_status}&m={message}" }, "POST",
	  0 },
};

const struct service *service_find(const char *name)
{
	if (!name)
		return &services[0];
	for (size_t i = 0; i < sizeof services / sizeof *services; i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

char *service_template(const struct service *svc, const char *base,
		       enum event event)
{
	const char *path = svc->path[event];
	if (!path || !base)
		return NULL;
	char *literal = template_literal(base);
	char *out = literal ? url_join(literal, path) : NULL;
	free(literal);
	return out;
}
