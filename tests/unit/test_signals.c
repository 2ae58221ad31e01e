#include <signal.h>

#include "signals.h"
#include "unit.h"

/* Every catchable asynchronous signal goes on to the job; the ones that
 * cannot be caught, the terminal's job control and hbrun's own faults do
 * not. */
START_TEST(forwarded_signals)
{
	static const int not_forwarded[] = {
		SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
	};
	static const int forwarded[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
		SIGCONT, SIGALRM, SIGPIPE, SIGCHLD, SIGURG, SIGPROF,
	};
	for (size_t i = 0; i < sizeof not_forwarded / sizeof *not_forwarded; i++)
		ck_assert_msg(!signal_is_forwarded(not_forwarded[i]), "%d",
			      not_forwarded[i]);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		ck_assert_msg(signal_is_forwarded(forwarded[i]), "%d",
			      forwarded[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		ck_assert_msg(signal_is_forwarded(sig), "real-time %d", sig);
	ck_assert(!signal_is_forwarded(0));
	ck_assert(!signal_is_forwarded(-1));
	ck_assert(!signal_is_forwarded(NSIG));
}
END_TEST

/* Asked to stop: TERM, INT, HUP and QUIT, and nothing else. */
START_TEST(stop_signals)
{
	for (int sig = 1; sig < NSIG; sig++) {
		bool stop = sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
			    sig == SIGQUIT;
		ck_assert_msg(signal_is_stop(sig) == stop, "%d", sig);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("predicates");
	tcase_add_test(tc, forwarded_signals);
	tcase_add_test(tc, stop_signals);
	suite_add_tcase(s, tc);
	return s;
}
