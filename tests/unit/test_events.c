#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "events.h"
#include "unit.h"

/* wait statuses as waitpid() makes them */
#define EXITED(n) ((n) << 8)
#define KILLED(s) (s)

struct row {
	struct run_ending ending;
	enum event event;
	int exit_status;
	const char *message;
};

static const struct row rows[] = {
	{ { .ran = true, .wstatus = EXITED(0), .succeeded = true },
	  EVENT_SUCCESS, 0, "OK" },
	/* a success_status: still a success, still 0 */
	{ { .ran = true, .wstatus = EXITED(3), .succeeded = true },
	  EVENT_SUCCESS, 0, "OK" },
	{ { .ran = true, .wstatus = EXITED(3) }, EVENT_FAIL, 3, "exit status 3" },
	{ { .ran = true, .wstatus = KILLED(SIGKILL) }, EVENT_FAIL, 137,
	  "killed by signal 9 (KILL)" },
	/* asked to stop: named so whatever the job then did */
	{ { .ran = true, .wstatus = EXITED(0), .succeeded = true,
	    .stop_signal = SIGTERM }, EVENT_FAIL, 143,
	  "stopped by signal 15 (TERM)" },
	{ { .ran = true, .wstatus = EXITED(2), .stop_signal = SIGINT },
	  EVENT_FAIL, 2, "stopped by signal 2 (INT)" },
	{ { .ran = true, .wstatus = KILLED(SIGHUP), .stop_signal = SIGHUP },
	  EVENT_FAIL, 129, "stopped by signal 1 (HUP)" },
	/* timed out beats everything */
	{ { .ran = true, .wstatus = KILLED(SIGTERM), .stop_signal = SIGQUIT,
	    .timed_out = true, .timeout = 30 }, EVENT_FAIL, 124,
	  "timed out after 30 s" },
	{ { .ran = true, .wstatus = EXITED(0), .succeeded = true,
	    .timed_out = true, .timeout = 1.5 }, EVENT_FAIL, 124,
	  "timed out after 1.5 s" },
	/* a killed job is never a success, whatever the caller said */
	{ { .ran = true, .wstatus = KILLED(SIGSEGV), .succeeded = true },
	  EVENT_FAIL, 139, "killed by signal 11 (SEGV)" },
	{ { .ran = false, .exec_status = 127 }, EVENT_FAIL, 127,
	  "command not found" },
	{ { .ran = false, .exec_status = 126 }, EVENT_FAIL, 126,
	  "cannot execute" },
};

START_TEST(ending_to_event)
{
	const struct row *r = &rows[_i];
	struct event_report got;
	event_of(&r->ending, &got);
	ck_assert_int_eq(got.event, r->event);
	ck_assert_int_eq(got.exit_status, r->exit_status);
	ck_assert_str_eq(got.message, r->message);
	if (got.event == EVENT_FAIL)
		ck_assert_int_ne(got.exit_status, 0);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(event_name(EVENT_SUCCESS), "ping");
	ck_assert_str_eq(event_name(EVENT_START), "start request");
	ck_assert_str_eq(event_name(EVENT_FAIL), "fail request");
	ck_assert_str_eq(event_started_message, "started");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("events");
	TCase *t = tcase_create("events");
	tcase_add_loop_test(t, ending_to_event, 0,
			    (int)(sizeof rows / sizeof *rows));
	tcase_add_test(t, names);
	suite_add_tcase(s, t);
	return s;
}
