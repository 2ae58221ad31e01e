#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkup.h"
#include "jobctl.h"
#include "lock.h"
#include "monotime.h"
#include "tree.h"
#include "unit.h"

START_TEST(ppid_from_stat)
{
	ck_assert_int_eq(stat_ppid("42 (sh) S 7 42 42 0 -1"), 7);
	/* A command name may hold spaces and parentheses. */
	ck_assert_int_eq(stat_ppid("42 (a) b) (c) R 1234 42 42"), 1234);
	ck_assert_int_eq(stat_ppid("42 (x"), -1);
	ck_assert_int_eq(stat_ppid(""), -1);
}
END_TEST

START_TEST(starttime_from_stat)
{
	static const char stat[] = "42 (a) b) S 7 42 42 0 -1 4194560 100 0 0 0 "
				   "1 2 0 0 20 0 1 0 123456 1000 10";
	ck_assert_uint_eq(stat_starttime(stat), 123456);
	ck_assert_uint_eq(stat_starttime("42 (sh) S 7 42"), 0);
	ck_assert_uint_eq(stat_starttime(""), 0);
}
END_TEST

START_TEST(delay_covers_zero_to_max)
{
	ck_assert_double_eq(delay_from_bits(0, 30.0), 0.0);
	ck_assert_double_le(delay_from_bits(UINT64_MAX, 30.0), 30.0);
	ck_assert_double_gt(delay_from_bits(UINT64_MAX, 30.0), 29.999);
	ck_assert_double_eq_tol(delay_from_bits(UINT64_C(1) << 63, 30.0), 15.0,
				1e-9);
}
END_TEST

/* The wait's one rounding of a deadline into poll's milliseconds: never
 * early, and no deadline is no limit. */
START_TEST(deadline_into_poll_milliseconds)
{
	static const struct { double from_now; int least, most; } cases[] = {
		{ -5.0, 0, 0 },          /* past: at once */
		{ 0.0004, 1, 1 },        /* under a millisecond: one, not 0 */
		{ 0.25, 250, 251 },
		{ 30.0, 30000, 30001 },
		{ 3.0e6, 1000000000, 1000000000 }, /* capped, no overflow */
	};
	ck_assert_int_eq(monotime_ms_until(0), -1);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int ms = monotime_ms_until(monotime_now() + cases[i].from_now);
		ck_assert_int_ge(ms, cases[i].least);
		ck_assert_int_le(ms, cases[i].most);
	}
}
END_TEST

/* A timeout not set or not armed gives the wait nothing to watch and no
 * time to wake at. */
START_TEST(unarmed_timeout_gives_the_wait_nothing)
{
	struct timeout t;
	struct pollfd fds[2];
	ck_assert_int_eq(timeout_init(&t, 0, 10), 0);
	ck_assert_uint_eq(timeout_nfds(&t), 0);
	ck_assert_uint_eq(timeout_fds(&t, fds, 2), 0);
	ck_assert_double_eq(timeout_due(&t), 0);
	timeout_service(&t, fds, 0, 0);
	ck_assert(!timeout_fired(&t));
	timeout_free(&t);
}
END_TEST

START_TEST(lock_file_rules)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | 0600;
	st.st_nlink = 1;
	st.st_uid = 1000;
	ck_assert_ptr_null(lock_file_problem(&st, 1000));
	st.st_uid = 0;
	ck_assert_ptr_null(lock_file_problem(&st, 1000));
	st.st_uid = 1001;
	ck_assert_ptr_nonnull(lock_file_problem(&st, 1000));
	st.st_uid = 1000;
	st.st_nlink = 2;
	ck_assert_ptr_nonnull(lock_file_problem(&st, 1000));
	st.st_nlink = 1;
	st.st_mode = S_IFIFO | 0600;
	ck_assert_ptr_nonnull(lock_file_problem(&st, 1000));
	st.st_mode = S_IFDIR | 0700;
	ck_assert_ptr_nonnull(lock_file_problem(&st, 1000));
}
END_TEST

START_TEST(sources_as_check_shows_them)
{
	struct layer layers[LAYER_COUNT];
	char buf[256];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	layers[LAYER_JOB].file = strdup("/etc/hbrun.conf");
	layer_set_id(&layers[LAYER_JOB], S_TIMEOUT, "30", 12);
	check_source(&setting_defs[S_TIMEOUT], layers, LAYER_JOB, S_TIMEOUT,
		     buf, sizeof buf);
	ck_assert_str_eq(buf, "/etc/hbrun.conf:12");
	check_source(&setting_defs[S_TOKEN], layers, LAYER_ENV, S_TOKEN, buf,
		     sizeof buf);
	ck_assert_str_eq(buf, "environment HBRUN_TOKEN");
	check_source(&setting_defs[S_LOCK], layers, LAYER_CLI, S_LOCK, buf,
		     sizeof buf);
	ck_assert_str_eq(buf, "command line");
	check_source(&setting_defs[S_LOCK], layers, -1, S_LOCK, buf, sizeof buf);
	ck_assert_str_eq(buf, "default");
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("jobctl");
	TCase *tc = tcase_create("jobctl");
	tcase_add_test(tc, ppid_from_stat);
	tcase_add_test(tc, starttime_from_stat);
	tcase_add_test(tc, delay_covers_zero_to_max);
	tcase_add_test(tc, lock_file_rules);
	tcase_add_test(tc, deadline_into_poll_milliseconds);
	tcase_add_test(tc, unarmed_timeout_gives_the_wait_nothing);
	tcase_add_test(tc, sources_as_check_shows_them);
	suite_add_tcase(s, tc);
	return s;
}
