/* Credentials in memory (a token, an API key, a URL or header holding
 * one): wiped before the memory is given back, so that a later heap dump,
 * core or reuse of the block does not show them. */
#ifndef HBRUN_SECRET_H
#define HBRUN_SECRET_H

#include <stdlib.h>
#include <string.h>

/* Wipe the string S and free it; NULL is fine. */
static inline void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

#endif
