#include "jobctl.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "msg.h"
#include "signals.h"

double delay_from_bits(uint64_t r, double max)
{
	/* The top 53 bits: every double in [0, 1] equally spaced. */
	return (double)(r >> 11) / (double)(UINT64_C(1) << 53) * max;
}

/* Random bits from the kernel; where its pool is not ready yet (early at
 * boot), the clock's nanoseconds mixed with the PID: the delay spreads
 * runs out, it guards nothing. */
static uint64_t random_bits(void)
{
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r = (uint64_t)ts.tv_nsec * UINT64_C(0x9E3779B97F4A7C15) ^
	    (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
	/* A round of splitmix64, so that the low clock bits reach the top. */
	r = (r ^ (r >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	r = (r ^ (r >> 27)) * UINT64_C(0x94D049BB133111EB);
	return r ^ (r >> 31);
}

/* SECS is never negative here, so the cast is its floor (and no libm). */
static struct timespec timespec_of(double secs)
{
	time_t whole = (time_t)secs;
	return (struct timespec){ whole, (long)((secs - (double)whole) * 1e9) };
}

/* Read the signal waiting on SIGFD: a stop signal, or 0 (dropped). */
static int stop_or_drop(int sigfd)
{
	struct signalfd_siginfo si;
	if (read(sigfd, &si, sizeof si) != (ssize_t)sizeof si)
		return 0;
	int sig = (int)si.ssi_signo;
	return signal_is_stop(sig) ? sig : 0;
}

int delay_before_job(double max, int sigfd)
{
	if (max <= 0)
		return 0;
	double end = monotime_now() + delay_from_bits(random_bits(), max);
	for (double left; (left = end - monotime_now()) > 0;) {
		struct timespec ts = timespec_of(left);
		struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
		int n = ppoll(&pfd, sigfd >= 0 ? 1 : 0, &ts, NULL);
		int stop = n > 0 ? stop_or_drop(sigfd) : 0;
		if (stop)
			return stop;
	}
	return 0;
}

int timeout_init(struct timeout *t, double secs, double kill_after)
{
	memset(t, 0, sizeof *t);
	t->timerfd = -1;
	t->secs = secs;
	t->kill_after = kill_after;
	if (secs <= 0)
		return 0;
	tree_note_strangers(&t->tree);
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static int set_timer(int fd, double secs)
{
	struct itimerspec its = { .it_value = timespec_of(secs) };
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	return timerfd_settime(fd, 0, &its, NULL);
}

int timeout_arm(struct timeout *t)
{
	if (t->secs <= 0)
		return 0;
	t->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (t->timerfd < 0)
		return -1;
	return set_timer(t->timerfd, t->secs);
}

/* The timer went off: TERM at the timeout, KILL kill_after later. */
static void on_timer(struct timeout *t, pid_t job)
{
	uint64_t expirations;
	if (read(t->timerfd, &expirations, sizeof expirations) < 0)
		return;
	if (t->phase == TIMEOUT_WAITING) {
		t->phase = TIMEOUT_TERM;
		tree_pin(&t->tree, job);
		tree_signal(&t->tree, SIGTERM);
		if (t->tree.proc_unreadable)
			msg_error("cannot read /proc: only the job itself was "
				  "signalled; processes it left in other "
				  "groups or sessions may still run");
		if (t->kill_after > 0)
			set_timer(t->timerfd, t->kill_after);
	} else if (t->phase == TIMEOUT_TERM) {
		t->phase = TIMEOUT_KILL;
		tree_signal(&t->tree, SIGKILL);
	}
}

/* Pinned processes ended; once none is left, look once more for any
 * started meanwhile (from a TERM handler, say) and signal them too. */
static void on_endings(struct timeout *t)
{
	if (tree_update(&t->tree) == 0)
		tree_signal(&t->tree,
			    t->phase == TIMEOUT_KILL ? SIGKILL : SIGTERM);
}

size_t timeout_nfds(const struct timeout *t)
{
	return t->timerfd >= 0 ? 1 + t->tree.alive : 0;
}

size_t timeout_fds(const struct timeout *t, struct pollfd *fds, size_t max)
{
	if (t->timerfd < 0 || max == 0)
		return 0;
	size_t n = 0;
	fds[n++] = (struct pollfd){ .fd = t->timerfd, .events = POLLIN };
	for (size_t i = 0; i < t->tree.n && n < max; i++)
		if (t->tree.p[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = t->tree.p[i].fd,
						    .events = POLLIN };
	return n;
}

/* Without pidfds, the ends of processes are looked for every tenth of a
 * second, and only in that case, only after the timeout. */
static bool looking(const struct timeout *t)
{
	return tree_unpinned(&t->tree) && t->tree.alive > 0;
}

double timeout_due(const struct timeout *t)
{
	return looking(t) ? t->looked_at + 0.1 : 0;
}

void timeout_service(struct timeout *t, const struct pollfd *fds, size_t n,
		     pid_t job)
{
	if (t->timerfd < 0)
		return;
	bool endings = false;
	for (size_t i = 1; i < n; i++)
		endings |= fds[i].revents != 0;
	if (looking(t) && monotime_now() >= timeout_due(t)) {
		t->looked_at = monotime_now();
		endings = true;
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		on_timer(t, job);
	if (endings)
		on_endings(t);
}

bool timeout_fired(const struct timeout *t)
{
	return t->phase != TIMEOUT_WAITING;
}

bool timeout_busy(const struct timeout *t)
{
	return timeout_fired(t) && t->tree.alive > 0;
}

void timeout_free(struct timeout *t)
{
	if (t->timerfd >= 0)
		close(t->timerfd);
	t->timerfd = -1;
	tree_free(&t->tree);
}
