#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "exit_status.h"
#include "unit.h"

/* Build a wait status the way the kernel does. */
static int exited(int code) { return (code & 0xff) << 8; }
static int killed(int sig) { return sig & 0x7f; }

START_TEST(exit_code_passes_through)
{
	for (int n = 0; n <= 255; n++) {
		struct ending e = exit_status_of(exited(n), false);
		ck_assert_int_eq(e.exit_code, n);
		ck_assert_int_eq(e.signal, 0);
		e = exit_status_of(exited(n), true);
		ck_assert_int_eq(e.exit_code, n);
	}
}
END_TEST

START_TEST(death_by_signal_is_repeated)
{
	const int sigs[] = { SIGTERM, SIGKILL, SIGINT, SIGSEGV, SIGABRT, SIGUSR1 };
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct ending e = exit_status_of(killed(sigs[i]), false);
		ck_assert_int_eq(e.signal, sigs[i]);
		ck_assert_int_eq(e.exit_code, 128 + sigs[i]);
	}
}
END_TEST

START_TEST(pid1_exits_128_plus_signal)
{
	struct ending e = exit_status_of(killed(SIGTERM), true);
	ck_assert_int_eq(e.signal, 0);
	ck_assert_int_eq(e.exit_code, 128 + SIGTERM);
	e = exit_status_of(killed(SIGKILL) | 0x80 /* core dumped */, true);
	ck_assert_int_eq(e.exit_code, 128 + SIGKILL);
}
END_TEST

START_TEST(exec_errors)
{
	ck_assert_int_eq(exit_status_of_exec_error(ENOENT), 127);
	ck_assert_int_eq(exit_status_of_exec_error(EACCES), 126);
	ck_assert_int_eq(exit_status_of_exec_error(ENOEXEC), 126);
	ck_assert_int_eq(exit_status_of_exec_error(EISDIR), 126);
}
END_TEST

START_TEST(end_as_exits_with_the_code)
{
	end_as(exit_status_of(exited(77), false));
}
END_TEST

START_TEST(end_as_dies_of_the_signal_even_when_blocked)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	signal(SIGUSR1, SIG_IGN);
	end_as(exit_status_of(killed(SIGUSR1), false));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("exit_status");
	TCase *tc = tcase_create("translation");
	tcase_add_test(tc, exit_code_passes_through);
	tcase_add_test(tc, death_by_signal_is_repeated);
	tcase_add_test(tc, pid1_exits_128_plus_signal);
	tcase_add_test(tc, exec_errors);
	tcase_add_exit_test(tc, end_as_exits_with_the_code, 77);
	tcase_add_test_raise_signal(tc, end_as_dies_of_the_signal_even_when_blocked,
				    SIGUSR1);
	suite_add_tcase(s, tc);
	return s;
}
