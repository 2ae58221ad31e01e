#include <stdlib.h>
#include <string.h>

#include "promtext.h"
#include "unit.h"

static const struct promtext_run a_success = {
	.start_ms = 1765100000123, .end_ms = 1765100002468, .exit_status = 0,
	.result = RESULT_SUCCESS, .job_ran = true, .duration_ms = 2345,
	.has_usage = true, .max_rss_kb = 2048, .cpu_user_us = 1500000, .cpu_system_us = 25,
};

/* The whole file of one run, as node_exporter is to read it. */
START_TEST(whole_file)
{
	struct promtext_carried prev = { { 4, 1, 0, 0, 2 }, true, 1765000000000 };
	char *text = promtext_format("backup", &a_success, &prev);
	ck_assert_str_eq(text,
		"# HELP hbrun_last_start_timestamp_seconds When the job's last run started, in Unix time.\n"
		"# TYPE hbrun_last_start_timestamp_seconds gauge\n"
		"hbrun_last_start_timestamp_seconds{job=\"backup\"} 1765100000.123\n"
		"# HELP hbrun_last_end_timestamp_seconds When the job's last run ended, in Unix time.\n"
		"# TYPE hbrun_last_end_timestamp_seconds gauge\n"
		"hbrun_last_end_timestamp_seconds{job=\"backup\"} 1765100002.468\n"
		"# HELP hbrun_last_success_timestamp_seconds When the job last succeeded, in Unix time.\n"
		"# TYPE hbrun_last_success_timestamp_seconds gauge\n"
		"hbrun_last_success_timestamp_seconds{job=\"backup\"} 1765100002.468\n"
		"# HELP hbrun_last_exit_status The last run's exit status: 0 a success, 124 timed out, 128+S killed by signal S, 75 its lock held by another run.\n"
		"# TYPE hbrun_last_exit_status gauge\n"
		"hbrun_last_exit_status{job=\"backup\"} 0\n"
		"# HELP hbrun_last_duration_seconds How long the job ran in its last run.\n"
		"# TYPE hbrun_last_duration_seconds gauge\n"
		"hbrun_last_duration_seconds{job=\"backup\"} 2.345\n"
		"# HELP hbrun_last_max_rss_bytes The job's largest resident set in its last run.\n"
		"# TYPE hbrun_last_max_rss_bytes gauge\n"
		"hbrun_last_max_rss_bytes{job=\"backup\"} 2097152\n"
		"# HELP hbrun_last_cpu_seconds The CPU time the job used in its last run, by mode.\n"
		"# TYPE hbrun_last_cpu_seconds gauge\n"
		"hbrun_last_cpu_seconds{job=\"backup\",mode=\"user\"} 1.500000\n"
		"hbrun_last_cpu_seconds{job=\"backup\",mode=\"system\"} 0.000025\n"
		"# HELP hbrun_runs_total Runs of the job, by result.\n"
		"# TYPE hbrun_runs_total counter\n"
		"hbrun_runs_total{job=\"backup\",result=\"success\"} 5\n"
		"hbrun_runs_total{job=\"backup\",result=\"failure\"} 1\n"
		"hbrun_runs_total{job=\"backup\",result=\"timeout\"} 0\n"
		"hbrun_runs_total{job=\"backup\",result=\"stopped\"} 0\n"
		"hbrun_runs_total{job=\"backup\",result=\"lock_held\"} 2\n");
	free(text);
}
END_TEST

/* A run whose job never ran has no figures of the job's; a failure keeps
 * the last success it carried, and the schedule's gap comes last. */
START_TEST(lock_held_keeps_last_success)
{
	struct promtext_run held = { .start_ms = 5000, .end_ms = 5000,
				     .exit_status = 75, .result = RESULT_LOCK_HELD,
				     .has_gap = true, .longest_gap_s = 86400 };
	struct promtext_carried prev = { { 1, 0, 0, 0, 0 }, true, 4321 };
	char *text = promtext_format("j", &held, &prev);
	ck_assert_ptr_nonnull(strstr(text, "hbrun_last_success_timestamp_seconds{job=\"j\"} 4.321\n"));
	ck_assert_ptr_nonnull(strstr(text, "hbrun_last_exit_status{job=\"j\"} 75\n"));
	ck_assert_ptr_null(strstr(text, "duration"));
	ck_assert_ptr_null(strstr(text, "rss"));
	ck_assert_ptr_nonnull(strstr(text, "result=\"lock_held\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "hbrun_schedule_longest_gap_seconds{job=\"j\"} 86400\n"));
	/* no success yet: no series for it at all */
	free(text);
	text = promtext_format("j", &held, NULL);
	ck_assert_ptr_null(strstr(text, "success_timestamp"));
	free(text);
}
END_TEST

/* Label values escaped as the format has it: backslash, double quote,
 * newline; every other byte as it is. */
static const struct { const char *job, *label; } escapes[] = {
	{ "backup", "{job=\"backup\"" },
	{ "a\"b", "{job=\"a\\\"b\"" },
	{ "a\\b", "{job=\"a\\\\b\"" },
	{ "a\nb", "{job=\"a\\nb\"" },
	{ "\\n", "{job=\"\\\\n\"" },
	{ "tab\there }{,=", "{job=\"tab\there }{,=\"" },
	{ "caf\xc3\xa9", "{job=\"caf\xc3\xa9\"" },
	{ "", "{job=\"\"" },
};

START_TEST(label_escaped)
{
	char *text = promtext_format(escapes[_i].job, &a_success, NULL);
	char want[64];
	strcpy(want, "\nhbrun_last_exit_status");
	strcat(want, escapes[_i].label);
	strcat(want, "} 0\n");
	ck_assert_ptr_nonnull(strstr(text, want));
	/* and read back as this job's, never another's */
	struct promtext_carried c;
	ck_assert(promtext_read(text, strlen(text), escapes[_i].job, &c));
	ck_assert_uint_eq(c.runs[RESULT_SUCCESS], 1);
	ck_assert(!promtext_read(text, strlen(text), "other", &c) ||
		  strcmp(escapes[_i].job, "other") == 0);
	free(text);
}
END_TEST

static const struct { const char *name; bool usable; } names[] = {
	{ "backup", true }, { "caf\xc3\xa9", true }, { "\xe2\x82\xac", true },
	{ "\xf0\x9f\x98\x80", true }, { "", true },
	{ "\xff", false }, { "caf\xe9", false }, { "\xc0\xaf", false },
	{ "\xe0\x80\xaf", false }, { "\xed\xa0\x80", false },
	{ "\xf4\x90\x80\x80", false }, { "\xc3", false }, { "\xe2\x82", false },
};

START_TEST(utf8_only)
{
	ck_assert_int_eq(promtext_label_usable(names[_i].name), names[_i].usable);
}
END_TEST

/* Carried over: each count one more for its result, the last success. */
START_TEST(round_trip)
{
	struct promtext_carried c = { { 0 }, false, 0 };
	struct promtext_run r = a_success;
	enum run_result order[] = { RESULT_SUCCESS, RESULT_FAILURE,
				    RESULT_TIMEOUT, RESULT_STOPPED,
				    RESULT_LOCK_HELD, RESULT_FAILURE };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		r.result = order[i];
		r.end_ms = 1000 * (int64_t)(i + 1) + 7;
		char *text = promtext_format("j", &r, &c);
		ck_assert(promtext_read(text, strlen(text), "j", &c));
		free(text);
	}
	ck_assert_uint_eq(c.runs[RESULT_SUCCESS], 1);
	ck_assert_uint_eq(c.runs[RESULT_FAILURE], 2);
	ck_assert_uint_eq(c.runs[RESULT_TIMEOUT], 1);
	ck_assert_uint_eq(c.runs[RESULT_STOPPED], 1);
	ck_assert_uint_eq(c.runs[RESULT_LOCK_HELD], 1);
	ck_assert(c.has_success);
	ck_assert_int_eq(c.last_success_ms, 1007);
}
END_TEST

#define RUNS(s, f) \
	"hbrun_runs_total{job=\"j\",result=\"success\"} " s "\n" \
	"hbrun_runs_total{job=\"j\",result=\"failure\"} " f "\n" \
	"hbrun_runs_total{job=\"j\",result=\"timeout\"} 0\n" \
	"hbrun_runs_total{job=\"j\",result=\"stopped\"} 0\n" \
	"hbrun_runs_total{job=\"j\",result=\"lock_held\"} 0\n"

/* What a previous file may be: only one hbrun wrote for this job is
 * read; anything else restarts the counters. */
static const struct { const char *text; bool ok; uint64_t success; } previous[] = {
	{ RUNS("3", "0"), true, 3 },
	{ "# HELP hbrun_x anything\n# TYPE hbrun_x gauge\n" RUNS("3", "1"), true, 3 },
	/* a series of a later version, with this job's label */
	{ "hbrun_future_seconds{job=\"j\"} 1.5\n" RUNS("9007199254740991", "0"),
	  true, 9007199254740991ULL },
	{ "", false, 0 },
	{ "\n" RUNS("3", "0"), false, 0 },
	{ RUNS("3", "0") "hbrun_x{job=\"j\"} 1", false, 0 }, /* cut short */
	{ RUNS("3", "0") RUNS("3", "0"), false, 0 },         /* twice */
	{ RUNS("3", "1.5"), false, 0 },
	{ RUNS("3", "-1"), false, 0 },
	{ RUNS("3", "1e3"), false, 0 },
	{ RUNS("9007199254740992", "0"), false, 0 },
	{ RUNS("99999999999999999999999", "0"), false, 0 },
	{ RUNS("3", ""), false, 0 },
	{ RUNS("3 ", "0"), false, 0 },
	{ "hbrun_runs_total{job=\"j\",result=\"success\"} 1\n", false, 0 },
	{ RUNS("3", "0") "hbrun_runs_total{job=\"j\",result=\"other\"} 1\n", false, 0 },
	{ RUNS("3", "0") "node_load1 1\n", false, 0 },
	{ RUNS("3", "0") "# a comment\n", false, 0 },
	{ RUNS("3", "0") "hbrun_x{job=\"k\"} 1\n", false, 0 },
	{ RUNS("3", "0") "hbrun_x{job=\"j\",a=\"b\",c=\"d\"} 1\n", false, 0 },
	{ RUNS("3", "0") "hbrun_x{job=\"j\"} NaN\n", false, 0 },
	{ RUNS("3", "0") "hbrun_x{job=\"j\"} 1 1765100000000\n", false, 0 },
	{ RUNS("3", "0") "hbrun_last_success_timestamp_seconds{job=\"j\"} 1.5\n"
	  "hbrun_last_success_timestamp_seconds{job=\"j\"} 1.5\n", false, 0 },
	{ RUNS("3", "0") "hbrun_last_success_timestamp_seconds{job=\"j\"} 1.2345\n", false, 0 },
	{ "hbrun_x{job=\"j\"} 1\r\n" RUNS("3", "0"), false, 0 },
};

START_TEST(previous_file)
{
	const char *text = previous[_i].text;
	struct promtext_carried c;
	ck_assert_int_eq(promtext_read(text, strlen(text), "j", &c), previous[_i].ok);
	ck_assert_uint_eq(c.runs[RESULT_SUCCESS], previous[_i].success);
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = RUNS("3", "0") "# HELP hbrun_x a\0b\n";
	struct promtext_carried c;
	char copy[sizeof text];
	memcpy(copy, text, sizeof text);
	ck_assert(!promtext_read(copy, sizeof copy - 1, "j", &c));
	*strchr(copy, '\0') = ' ';
	ck_assert(promtext_read(copy, sizeof copy - 1, "j", &c));
}
END_TEST

START_TEST(read_limit_covers_what_is_written)
{
	char job[600];
	memset(job, '"', sizeof job - 1);
	job[sizeof job - 1] = '\0';
	struct promtext_run r = a_success;
	r.has_gap = true;
	r.longest_gap_s = 126230400;
	struct promtext_carried full;
	for (int i = 0; i < RESULT_COUNT; i++)
		full.runs[i] = PROMTEXT_COUNTER_MAX - 1;
	full.has_success = true;
	full.last_success_ms = 4102444800000;
	char *text = promtext_format(job, &r, &full);
	ck_assert_uint_lt(strlen(text), promtext_read_limit(job));
	ck_assert(promtext_read(text, strlen(text), job, &full));
	ck_assert_uint_eq(full.runs[RESULT_SUCCESS], PROMTEXT_COUNTER_MAX);
	free(text);
	/* a counter at the most a float holds stays there */
	text = promtext_format(job, &r, &full);
	ck_assert(promtext_read(text, strlen(text), job, &full));
	ck_assert_uint_eq(full.runs[RESULT_SUCCESS], PROMTEXT_COUNTER_MAX);
	free(text);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("promtext");
	TCase *tc = tcase_create("promtext");
	tcase_add_test(tc, whole_file);
	tcase_add_test(tc, lock_held_keeps_last_success);
	tcase_add_loop_test(tc, label_escaped, 0, sizeof escapes / sizeof escapes[0]);
	tcase_add_loop_test(tc, utf8_only, 0, sizeof names / sizeof names[0]);
	tcase_add_test(tc, round_trip);
	tcase_add_loop_test(tc, previous_file, 0, sizeof previous / sizeof previous[0]);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, read_limit_covers_what_is_written);
	suite_add_tcase(s, tc);
	return s;
}
