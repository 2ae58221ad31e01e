#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "secret.h"
#include "settings.h"
#include "template.h"
#include "url.h"

/* Uptime Kuma on MariaDB refuses a ping time of a million ms or more,
 * and then keeps failing: a longer run is sent as the most it takes. */
#define KUMA_MAX_PING_MS 999999LL

static const struct service services[] = {
	{ "tickstem", DEFAULT_API_URL,
	  { [EVENT_SUCCESS] = "/heartbeats/{token}/ping" }, "POST", 0 },
	/* A ping key with a monitor: slug URLs, the check created when it
	 * is missing. */
	{ "healthchecks", "https://hc-ping.com",
	  { [EVENT_START] = "/{token}/start?rid={run_id}",
	    [EVENT_SUCCESS] = "/{token}?rid={run_id}",
	    [EVENT_FAIL] = "/{token}/{exit_status}?rid={run_id}" }, "POST", 0,
	  SERVICE_SLUGS,
	  { [EVENT_START] = "/{token}/{monitor}/start?create=1&rid={run_id}",
	    [EVENT_SUCCESS] = "/{token}/{monitor}?create=1&rid={run_id}",
	    [EVENT_FAIL] = "/{token}/{monitor}/{exit_status}?create=1"
			   "&rid={run_id}" } },
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
	/* After the DSN's /api/PROJECT/cron/{monitor}/KEY/: the check-in id
	 * ties the run's check-ins together; the duration is in seconds. */
	{ "sentry", NULL,
	  { [EVENT_START] = "?status=in_progress&check_in_id={run_id}",
	    [EVENT_SUCCESS] = "?status=ok&check_in_id={run_id}"
			      "&duration={duration_s}",
	    [EVENT_FAIL] = "?status=error&check_in_id={run_id}"
			   "&duration={duration_s}" }, "POST", 0, SERVICE_DSN,
	  { 0 } },
	/* The series ties the run's events together; seconds again. */
	{ "cronitor", "https://cronitor.link/p",
	  { [EVENT_START] = "/{token}/{monitor}?state=run&series={run_id}"
			    "&host={hostname}",
	    [EVENT_SUCCESS] = "/{token}/{monitor}?state=complete"
			      "&series={run_id}&status_code=0"
			      "&duration={duration_s}&host={hostname}",
	    [EVENT_FAIL] = "/{token}/{monitor}?state=fail&series={run_id}"
			   "&status_code={exit_status}&duration={duration_s}"
			   "&message={message}&host={hostname}" }, "POST", 0,
	  0, { 0 } },
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

/* TEXT escaped and its braces doubled: a literal part of a template. */
static char *literal_part(const char *text, size_t len)
{
	char *raw = strndup(text, len);
	char *escaped = raw ? template_escape(raw) : NULL;
	char *out = escaped ? template_literal(escaped) : NULL;
	free(raw);
	free(escaped);
	return out;
}

/* PATH with "{token}" replaced by TOKEN's KEY/SLUG, each part escaped. */
static char *slug_path(const char *path, const char *token, const char **why)
{
	const char *slash = strchr(token, '/');
	char *key = literal_part(token, (size_t)(slash - token));
	char *slug = literal_part(slash + 1, strlen(slash + 1));
	const char *mark = strstr(path, "{token}");
	char *out = NULL;
	*why = "a token KEY/SLUG needs a key and a slug, neither '.' nor '..'";
	if (key && slug && mark && url_segment_usable(key) &&
	    url_segment_usable(slug) && !strchr(slash + 1, '/')) {
		size_t n = strlen(path) + strlen(key) + strlen(slug) + 2;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%.*s%s/%s%s", (int)(mark - path), path,
				 key, slug, mark + strlen("{token}"));
	}
	free(key);
	free(slug);
	return out;
}

/* The DSN's check-in path and its base (BASE, when given, in place of the
 * DSN's), then PATH. */
static char *dsn_template(const char *base, const char *path,
			  const char *token, const char **why)
{
	struct dsn d;
	*why = "the token is not a Sentry DSN (SCHEME://KEY@HOST/PROJECT)";
	if (!dsn_parse(token, &d))
		return NULL;
	char *root = template_literal(base ? base : d.base);
	char *key = literal_part(d.key, strlen(d.key));
	char *project = literal_part(d.project, strlen(d.project));
	char *out = NULL;
	if (root && key && project) {
		size_t len = strlen(root);
		while (len > 0 && root[len - 1] == '/')
			len--;
		size_t n = len + strlen(key) + strlen(project) + strlen(path) +
			   40;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%.*s/api/%s/cron/{monitor}/%s/%s",
				 (int)len, root, project, key, path);
	}
	free(root);
	secret_free(key);
	free(project);
	dsn_free(&d);
	return out;
}

char *service_template_for(const struct service *svc, const char *base,
			   enum event event, const char *token, bool monitor,
			   const char **why)
{
	*why = NULL;
	if (svc->flags & SERVICE_DSN)
		return svc->path[event] ? dsn_template(base, svc->path[event],
						       token, why) : NULL;
	bool slug = token && strchr(token, '/');
	const char *path = monitor && !slug ? svc->monitor_path[event]
					     : svc->path[event];
	if (!path || !base)
		return NULL;
	if (monitor && slug) {
		*why = "the token names its check (KEY/SLUG) and a monitor is "
		       "set too";
		return NULL;
	}
	char *mine = slug ? slug_path(path, token, why) : strdup(path);
	char *literal = mine ? template_literal(base) : NULL;
	char *out = literal ? url_join(literal, mine) : NULL;
	free(literal);
	free(mine);
	return out;
}
