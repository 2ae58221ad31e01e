/* How a shared module learns that its caller wants it to give up: a
 * descriptor to watch, and a question to ask once it is readable.  hbrun
 * hands over its signalfd and "was that a stop signal?"; hbctl hands over
 * nothing (NULL), and its calls run to their deadline. */
#ifndef HBRUN_CANCEL_H
#define HBRUN_CANCEL_H

#include <stdbool.h>

struct cancel {
	int fd;                     /* readable when a stop may have come */
	bool (*arrived)(void *ctx); /* read it: true when one did */
	void *ctx;
};

/* True when C is given and says a stop has come (C's fd is readable). */
static inline bool cancel_arrived(const struct cancel *c)
{
	return c && c->arrived(c->ctx);
}

static inline int cancel_fd(const struct cancel *c)
{
	return c ? c->fd : -1;
}

#endif
