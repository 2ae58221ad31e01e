#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unit.h"

static enum cli_result parse(char **argv, struct layer *l, struct cli *cli)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	layer_init(l);
	memset(cli, 0, sizeof *cli);
	cli->layer = l;
	return cli_parse(argc, argv, cli);
}

START_TEST(options_stop_at_the_command)
{
	char a0[] = "hbrun", a1[] = "-q", a2[] = "printf", a3[] = "%s",
	     a4[] = "-t";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(argv, &l, &cli), CLI_RUN);
	ck_assert_str_eq(cli.command[0], "printf");
	ck_assert_str_eq(cli.command[2], "-t");
	ck_assert_ptr_null(l.v[S_TOKEN].text);
	ck_assert_int_eq((int)l.v[S_QUIET].number, 1);
	layer_free(&l);
}
END_TEST

START_TEST(double_dash_ends_options)
{
	char a0[] = "hbrun", a1[] = "-t", a2[] = "T", a3[] = "--", a4[] = "-v";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(argv, &l, &cli), CLI_RUN);
	ck_assert_str_eq(cli.command[0], "-v");
	ck_assert(!cli.verbose);
	layer_free(&l);
}
END_TEST

START_TEST(every_setting_option)
{
	char *argv[] = { "hbrun", "--token=secret-1", "--token-file", "/tf",
			 "-j", "job", "-c", "/c", "--api-url", "https://a/v1",
			 "--ping-url", "https://p/{token}", "--ping-retries", "0",
			 "--ping-timeout", "1.5", "--ping-deadline", "30",
			 "--cacert", "/ca", "--allow-http", "-v", "true", NULL };
	char *copy[sizeof argv / sizeof *argv];
	for (size_t i = 0; argv[i]; i++)
		copy[i] = strdup(argv[i]);
	copy[sizeof argv / sizeof *argv - 1] = NULL;
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(copy, &l, &cli), CLI_RUN);
	ck_assert_str_eq(l.v[S_TOKEN].text, "secret-1");
	ck_assert_str_eq(l.v[S_TOKEN_FILE].text, "/tf");
	ck_assert_str_eq(cli.job, "job");
	ck_assert_str_eq(cli.config, "/c");
	ck_assert_str_eq(l.v[S_API_URL].text, "https://a/v1");
	ck_assert_str_eq(l.v[S_PING_URL].text, "https://p/{token}");
	ck_assert_int_eq((int)l.v[S_PING_RETRIES].number, 0);
	ck_assert_double_eq(l.v[S_PING_TIMEOUT].number, 1.5);
	ck_assert_double_eq(l.v[S_PING_DEADLINE].number, 30.0);
	ck_assert_str_eq(l.v[S_CACERT].text, "/ca");
	ck_assert_int_eq((int)l.v[S_ALLOW_HTTP].number, 1);
	ck_assert(cli.verbose);
	/* The token no longer stands in argv. */
	ck_assert_str_eq(copy[1], "--token=********");
	layer_free(&l);
	for (size_t i = 0; copy[i]; i++)
		free(copy[i]);
}
END_TEST

START_TEST(short_token_forms_are_scrubbed)
{
	char a0[] = "hbrun", a1[] = "-tabcdef", a2[] = "-t", a3[] = "xyz",
	     a4[] = "true";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(argv, &l, &cli), CLI_RUN);
	ck_assert_str_eq(l.v[S_TOKEN].text, "xyz"); /* the last one given */
	ck_assert_str_eq(a1, "-t******");
	ck_assert_str_eq(a3, "***");
	layer_free(&l);
}
END_TEST

START_TEST(unusable_command_lines)
{
	char *cases[][4] = {
		{ "hbrun", NULL },
		{ "hbrun", "--nope", "true", NULL },
		{ "hbrun", "-x", "true", NULL },
		{ "hbrun", "--ping-retries", "x", NULL },
		{ "hbrun", "--ping-retries", "-1", NULL },
		{ "hbrun", "--ping-timeout", "0", NULL },
		{ "hbrun", "--ping-deadline", "1e9", NULL },
		{ "hbrun", "-t", NULL },
		{ "hbrun", "-q", NULL },
	};
	capture_begin();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct layer l;
		struct cli cli;
		ck_assert_msg(parse(cases[i], &l, &cli) == CLI_USAGE, "case %zu", i);
		layer_free(&l);
	}
	const char *err = capture_end();
	ck_assert(strstr(err, "hbrun: unknown option '--nope'"));
	ck_assert(strstr(err, "hbrun: unknown option '-x'"));
	ck_assert(strstr(err, "hbrun: option '-t' needs an argument"));
	ck_assert(strstr(err, "hbrun: no command to run"));
	ck_assert(strstr(err, "invalid value for --ping-retries: a whole number"));
}
END_TEST

/* An empty monitoring value (-t "$TOKEN" with TOKEN unset) is set as
 * unusable, with a warning: the job still runs. */
START_TEST(empty_values_are_unusable_not_usage_errors)
{
	static const char *const options[] = {
		"-t", "--token-file", "--api-url", "--ping-url", "--cacert",
	};
	static const int ids[] = {
		S_TOKEN, S_TOKEN_FILE, S_API_URL, S_PING_URL, S_CACERT,
	};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		char a0[] = "hbrun", a2[] = "", a3[] = "true", a1[32];
		snprintf(a1, sizeof a1, "%s", options[i]);
		char *argv[] = { a0, a1, a2, a3, NULL };
		struct layer l;
		struct cli cli;
		capture_begin();
		ck_assert_int_eq(parse(argv, &l, &cli), CLI_RUN);
		ck_assert_str_eq(cli.command[0], "true");
		ck_assert_int_eq(l.v[ids[i]].state, VALUE_UNUSABLE);
		ck_assert_msg(strstr(capture_end(), "empty value for --"),
			      "%s", options[i]);
		layer_free(&l);
	}
}
END_TEST

START_TEST(help_and_version_exit_zero)
{
	char *h[] = { "hbrun", "--help", NULL };
	char *v[] = { "hbrun", "-V", "true", NULL };
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(h, &l, &cli), CLI_EXIT_OK);
	ck_assert_int_eq(parse(v, &l, &cli), CLI_EXIT_OK);
}
END_TEST

/* Job control is not monitoring: an empty or bad value must not let the
 * job run without the lock or the limit asked for. */
START_TEST(bad_job_control_values_are_usage_errors)
{
	const char *bad[][2] = { { "--lock", "" }, { "--timeout", "0" },
				 { "--timeout", "" }, { "--kill-after", "86401" },
				 { "--random-delay", "x" },
				 { "--success-status", "" },
				 { "--success-status", "256" } };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char a0[] = "hbrun", a3[] = "true";
		char *a1 = strdup(bad[i][0]), *a2 = strdup(bad[i][1]);
		char *argv[] = { a0, a1, a2, a3, NULL };
		struct layer l;
		struct cli cli;
		capture_begin();
		enum cli_result r = parse(argv, &l, &cli);
		capture_end();
		ck_assert_msg(r == CLI_USAGE, "%s '%s'", bad[i][0], bad[i][1]);
		layer_free(&l);
		free(a1);
		free(a2);
	}
}
END_TEST

START_TEST(check_needs_no_command)
{
	char a0[] = "hbrun", a1[] = "--check";
	char *argv[] = { a0, a1, NULL };
	struct layer l;
	struct cli cli;
	ck_assert_int_eq(parse(argv, &l, &cli), CLI_RUN);
	ck_assert(cli.check);
	ck_assert_ptr_null(cli.command[0]);
	layer_free(&l);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, options_stop_at_the_command);
	tcase_add_test(tc, double_dash_ends_options);
	tcase_add_test(tc, every_setting_option);
	tcase_add_test(tc, short_token_forms_are_scrubbed);
	tcase_add_test(tc, unusable_command_lines);
	tcase_add_test(tc, empty_values_are_unusable_not_usage_errors);
	tcase_add_test(tc, help_and_version_exit_zero);
	tcase_add_test(tc, bad_job_control_values_are_usage_errors);
	tcase_add_test(tc, check_needs_no_command);
	suite_add_tcase(s, tc);
	return s;
}
