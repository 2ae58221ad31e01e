/* A job for the runtime tests (tests/packaging/test_runtimes.py): it says
 * "ready", then reports every TERM it receives with the sender's PID as the
 * kernel tells it, so a test sees how many arrived and from whom.
 *
 *   sigjob handle   exit 0 once a TERM has come (and a second one had time to)
 *   sigjob die      die of the TERM, as a job without a handler would
 *   sigjob ignore   keep running whatever comes, until KILL
 *
 * Built static, so one binary runs in every image and container. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t terms;

static void put(const char *s)
{
	/* stdout may be a pipe, a file or the journal: one write per line. */
	(void)!write(1, s, strlen(s));
}

static void on_term(int sig, siginfo_t *si, void *ctx)
{
	char line[64];
	int n;

	(void)sig;
	(void)ctx;
	n = snprintf(line, sizeof line, "TERM from %ld\n", (long)si->si_pid);
	if (n > 0)
		(void)!write(1, line, (size_t)n);
	terms++;
}

static void nap(double seconds)
{
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char line[64];
	const char *mode = argc > 1 ? argv[1] : "handle";

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_term;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTERM, &sa, NULL);
	snprintf(line, sizeof line, "ready pid %ld ppid %ld\n", (long)getpid(),
		 (long)getppid());
	put(line);
	while (!terms || strcmp(mode, "ignore") == 0)
		pause();
	/* A second TERM, if anything sends one, has this long to arrive. */
	nap(1.0);
	if (strcmp(mode, "die") == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	}
	put("exiting 0\n");
	return 0;
}
