/* Writes to a stream whose reader may be gone, without dying of SIGPIPE:
 * hbrun has the job's exit status to pass on.  SIGPIPE is blocked around
 * the writes, and the one they raised is taken back, unless one was
 * pending already (then it was not theirs). */
#ifndef HBRUN_NOPIPE_H
#define HBRUN_NOPIPE_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

struct nopipe {
	sigset_t only, mask;
	bool was_pending;
};

static inline void nopipe_begin(struct nopipe *g)
{
	sigset_t pending;
	sigemptyset(&g->only);
	sigaddset(&g->only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &g->only, &g->mask);
	g->was_pending = sigpending(&pending) == 0 &&
			 sigismember(&pending, SIGPIPE) == 1;
}

static inline void nopipe_end(struct nopipe *g)
{
	if (!g->was_pending) {
		const struct timespec now = { 0, 0 };
		sigtimedwait(&g->only, NULL, &now);
	}
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
}

#endif
