/* The ping URL: building it, deciding whether it may be used, and showing
 * it without what its path may hide (a token). */
#ifndef HBRUN_URL_H
#define HBRUN_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

/* Whether HOST, as written in a URL, is loopback: an IPv4 address in
 * 127.0.0.0/8, [::1] or ::1, or the name localhost.  Nothing is resolved. */
bool host_is_loopback(const char *host);

/* The URL to ping: PING_URL with every "{token}" replaced by the escaped
 * TOKEN, or API_URL + "/heartbeats/{token}/ping".  NULL when a token is
 * needed and TOKEN is NULL, or on a failed allocation. */
char *url_for_ping(const char *api_url, const char *ping_url,
		   const char *token);

/* BASE + PATH (PATH starting with '/'), without doubling the slash between
 * them: BASE's trailing slashes are dropped; malloc'd, NULL when out of
 * memory. */
char *url_join(const char *base, const char *path);

/* S escaped for a URL path segment (RFC 3986 unreserved kept), malloc'd;
 * NULL on a failed allocation. */
char *url_escape(const char *s);

/* Whether URL needs a token (a ping URL naming "{token}" or none given). */
bool url_needs_token(const char *ping_url);

enum url_verdict {
	URL_OK_HTTPS,
	URL_OK_HTTP,      /* plain http, allowed */
	URL_MALFORMED,
	URL_BAD_SCHEME,   /* neither http nor https */
	URL_HTTP_REFUSED, /* plain http to a host not written as loopback */
};
/* Judge URL; ALLOW_HTTP permits plain http to any host. */
enum url_verdict url_check(const char *url, bool allow_http);

/* The parts of URL beyond scheme, host, port and path, as URL_HAS_*
 * bits; URL_HAS_QUERY for what cannot be parsed at all.  An API base may
 * have none of them, a template a query only: a fragment is never sent (a
 * 2xx to what is left would count as a ping), and user info would put a
 * credential where messages show the host. */
#define URL_HAS_QUERY 1
#define URL_HAS_FRAGMENT 2
#define URL_HAS_USERINFO 4
unsigned url_extras(const char *url);

/* Whether URL's host is written as loopback (see host_is_loopback). */
bool url_host_is_loopback(const char *url);

/* Whether S can be a path segment: not empty, "." or "..", which a server
 * that decodes %2E would still take as a step in the path. */
bool url_segment_usable(const char *s);

/* "scheme://host:port" of URL into BUF: what a message may show. */
void url_origin(const char *url, char *buf, size_t size);

/* Whether URL may be used (url_check); if not, one line through SAY that
 * names it as WHAT ("ping URL") and ends with CONSEQUENCE ("no ping
 * sent").  The line shows the URL's origin only. */
bool url_usable(const char *url, bool allow_http, const char *what,
		const char *consequence, msg_fn *say);

#endif
