/* A Sentry DSN, SCHEME://KEY@HOST[:PORT][/PREFIX]/PROJECT: the token of
 * the sentry service, from which its check-in URLs are built.  Pure. */
#ifndef HBRUN_DSN_H
#define HBRUN_DSN_H

#include <stdbool.h>

struct dsn {
	char *base;    /* SCHEME://HOST[:PORT][/PREFIX], no trailing slash */
	char *key;     /* the public key: a credential */
	char *project; /* the project's id */
};

/* Read TEXT into OUT (each part malloc'd).  False, OUT zeroed, for
 * anything but a DSN: no "://", no KEY@ or HOST, no PROJECT, a key or
 * project "." or "..", a query, a fragment, white space or a control
 * character.  A legacy secret after the key (KEY:SECRET@) is dropped. */
bool dsn_parse(const char *text, struct dsn *out);

/* Wipe the key and free the parts. */
void dsn_free(struct dsn *d);

#endif
