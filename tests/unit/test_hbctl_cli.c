/* hbctl's command line (hbctl/cli.c), its settings (settings.c) and its
 * exit statuses. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "config.h"
#include "settings.h"
#include "unit.h"

#define ARGV_MAX 16

struct parsed {
	struct layer layer;
	struct hbctl_args args;
	char *argv[ARGV_MAX + 1];
	int argc;
	enum hbctl_parsed result;
	const char *stderr_text;
};

/* Parse the words of a NULL-ended list, on writable copies of them. */
static struct parsed *parse_words(const char *const *words)
{
	struct parsed *p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	layer_init(&p->layer);
	p->args.layer = &p->layer;
	p->argv[p->argc++] = strdup("hbctl");
	for (; *words && p->argc < ARGV_MAX; words++)
		p->argv[p->argc++] = strdup(*words);
	/* Help and version texts are not looked at: stdout goes nowhere. */
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	close(null);
	msg_set_program("hbctl");
	capture_begin();
	p->result = hbctl_parse(p->argc, p->argv, &p->args);
	p->stderr_text = capture_end();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return p;
}

#define PARSE(...) parse_words((const char *const[]){ __VA_ARGS__, NULL })

static void done(struct parsed *p)
{
	hbctl_args_free(&p->args);
	layer_free(&p->layer);
	for (int i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p);
}

static void assert_usage(struct parsed *p, const char *said)
{
	ck_assert_int_eq(p->result, HBCTL_USAGE);
	ck_assert_msg(strncmp(p->stderr_text, "hbctl: ", 7) == 0, "%s",
		      p->stderr_text);
	ck_assert_msg(strstr(p->stderr_text, said), "'%s' not in: %s", said,
		      p->stderr_text);
	done(p);
}

START_TEST(create_with_defaults)
{
	struct parsed *p = PARSE("create", "nightly backup");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_int_eq(p->args.command, CMD_CREATE);
	ck_assert_str_eq(p->args.command_name, "create");
	ck_assert_str_eq(p->args.operand, "nightly backup");
	ck_assert_int_eq(p->args.interval, 3600);
	ck_assert_int_eq(p->args.grace, 300);
	ck_assert(!p->args.json);
	ck_assert_double_eq(p->args.deadline, 20.0);
	done(p);
}
END_TEST

START_TEST(create_options_before_or_after_the_name)
{
	struct parsed *p = PARSE("create", "--interval", "86400", "job",
				 "--grace=0");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_str_eq(p->args.operand, "job");
	ck_assert_int_eq(p->args.interval, 86400);
	ck_assert_int_eq(p->args.grace, 0);
	done(p);
	/* "--" lets a name start with a dash */
	p = PARSE("create", "--interval", "60", "--", "-odd-");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_str_eq(p->args.operand, "-odd-");
	done(p);
}
END_TEST

START_TEST(global_options)
{
	struct parsed *p = PARSE("--api-key", "sk_secret", "--api-url",
				 "https://x/v1", "-c", "/tmp/c.conf", "--json",
				 "--deadline", "2.5", "--cacert", "/ca.pem",
				 "--allow-http", "list");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_int_eq(p->args.command, CMD_LIST);
	ck_assert_str_eq(p->layer.v[S_API_KEY].text, "sk_secret");
	ck_assert_str_eq(p->layer.v[S_API_URL].text, "https://x/v1");
	ck_assert_str_eq(p->layer.v[S_CACERT].text, "/ca.pem");
	ck_assert_int_eq((int)p->layer.v[S_ALLOW_HTTP].number, 1);
	ck_assert_str_eq(p->args.config, "/tmp/c.conf");
	ck_assert(p->args.json);
	ck_assert_double_eq(p->args.deadline, 2.5);
	/* the key is overwritten where it stood in argv */
	ck_assert_str_eq(p->argv[2], "*********");
	done(p);
}
END_TEST

START_TEST(ping_token_is_copied_then_scrubbed)
{
	struct parsed *p = PARSE("ping", "Zq7XkW9vPj3m");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_int_eq(p->args.command, CMD_PING);
	ck_assert_str_eq(p->args.operand, "Zq7XkW9vPj3m");
	ck_assert_str_eq(p->argv[2], "************");
	done(p);
}
END_TEST

START_TEST(every_command_and_its_operand)
{
	static const struct {
		const char *word;
		enum hbctl_command command;
	} table[] = {
		{ "get", CMD_GET }, { "pause", CMD_PAUSE },
		{ "resume", CMD_RESUME }, { "delete", CMD_DELETE },
		{ "pings", CMD_PINGS },
	};
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		struct parsed *p = PARSE(table[i].word, "hb_1");
		ck_assert_int_eq(p->result, HBCTL_RUN);
		ck_assert_int_eq(p->args.command, table[i].command);
		ck_assert_str_eq(p->args.operand, "hb_1");
		done(p);
	}
	struct parsed *p = PARSE("pings", "hb_1");
	ck_assert_int_eq(p->args.limit, 50);
	done(p);
	p = PARSE("pings", "--limit", "100", "hb_1");
	ck_assert_int_eq(p->args.limit, 100);
	done(p);
}
END_TEST

/* ensure takes create's options but none of its defaults: a value not
 * given is never sent. */
START_TEST(ensure_leaves_what_is_not_given_unset)
{
	struct parsed *p = PARSE("ensure", "backup");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_int_eq(p->args.command, CMD_ENSURE);
	ck_assert_str_eq(p->args.command_name, "ensure");
	ck_assert_str_eq(p->args.operand, "backup");
	ck_assert_int_eq(p->args.interval, -1);
	ck_assert_int_eq(p->args.grace, -1);
	done(p);
	p = PARSE("ensure", "--grace", "0", "backup");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_int_eq(p->args.interval, -1);
	ck_assert_int_eq(p->args.grace, 0);
	done(p);
	assert_usage(PARSE("ensure"), "ensure takes one NAME, not 0");
}
END_TEST

START_TEST(update_keeps_unchanged_fields_unset)
{
	struct parsed *p = PARSE("update", "hb_1", "--grace", "0");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_ptr_null(p->args.name);
	ck_assert_int_eq(p->args.interval, -1);
	ck_assert_int_eq(p->args.grace, 0);
	done(p);
	p = PARSE("update", "--name", "new", "hb_1");
	ck_assert_int_eq(p->result, HBCTL_RUN);
	ck_assert_str_eq(p->args.name, "new");
	ck_assert_int_eq(p->args.interval, -1);
	ck_assert_int_eq(p->args.grace, -1);
	done(p);
}
END_TEST

START_TEST(ranges_are_checked)
{
	assert_usage(PARSE("create", "x", "--interval", "59"), "--interval");
	/* Only the lower ends are hbctl's: 86401 is the server's to judge
	 * (it was a usage error before). */
	/* (A usage error never repeats the value: it may be a key.) */
	assert_usage(PARSE("create", "x", "--interval", "2147483648"),
		     "invalid value for --interval: whole seconds");
	assert_usage(PARSE("create", "x", "--interval", "60.5"), "at least 60");
	assert_usage(PARSE("create", "x", "--interval", "-60"), "--interval");
	assert_usage(PARSE("create", "x", "--interval", ""), "--interval");
	assert_usage(PARSE("create", "x", "--grace", "99999999999"), "--grace");
	assert_usage(PARSE("create", "x", "--grace", "-1"), "--grace");
	assert_usage(PARSE("ensure", "x", "--interval", "59"), "--interval");
	assert_usage(PARSE("ensure", "x", "--grace", "1.5"), "--grace");
	assert_usage(PARSE("ensure", "x", "--name", "y"), "unknown option");
	assert_usage(PARSE("update", "x", "--interval", "1"), "--interval");
	assert_usage(PARSE("update", "x", "--name", ""), "--name");
	assert_usage(PARSE("pings", "x", "--limit", "0"), "1 to 100");
	assert_usage(PARSE("pings", "x", "--limit", "101"), "--limit");
	assert_usage(PARSE("--deadline", "0", "list"), "--deadline");
	assert_usage(PARSE("--deadline", "86401", "list"), "--deadline");
	assert_usage(PARSE("--api-url", "", "list"), "--api-url");
}
END_TEST

START_TEST(edges_of_the_ranges_pass)
{
	const char *const ok[][5] = {
		{ "create", "x", "--interval", "60", NULL },
		{ "create", "x", "--interval", "86400", NULL },
		{ "create", "x", "--grace", "0", NULL },
		{ "create", "x", "--grace", "86400", NULL },
		{ "create", "x", "--interval", "86401", NULL },
		{ "create", "x", "--interval", "604800", NULL },
		{ "create", "x", "--grace", "2147483647", NULL },
		{ "update", "x", "--interval", "604800", NULL },
		{ "ensure", "x", "--interval", "604800", NULL },
		{ "pings", "x", "--limit", "1", NULL },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct parsed *p = parse_words(ok[i]);
		ck_assert_msg(p->result == HBCTL_RUN, "%s %s", ok[i][2], ok[i][3]);
		done(p);
	}
}
END_TEST

START_TEST(unusable_command_lines)
{
	assert_usage(PARSE("--json"), "no command");
	assert_usage(PARSE("frobnicate"), "unknown command 'frobnicate'");
	assert_usage(PARSE("create"), "create takes one NAME, not 0");
	assert_usage(PARSE("get", "a", "b"), "get takes one ID, not 2");
	assert_usage(PARSE("get", ""), "the ID cannot be empty");
	assert_usage(PARSE("list", "extra"), "list takes no operand");
	assert_usage(PARSE("update", "hb_1"), "nothing to change");
	assert_usage(PARSE("create", "x", "--bogus"), "unknown option '--bogus'");
	assert_usage(PARSE("create", "x", "-z"), "unknown option '-z'");
	assert_usage(PARSE("create", "x", "--interval"), "needs an argument");
	assert_usage(PARSE("--bogus", "list"), "unknown option '--bogus'");
	assert_usage(PARSE("--api-key"), "needs an argument");
	assert_usage(PARSE("get", "--limit", "5", "x"), "unknown option");
}
END_TEST

START_TEST(global_options_after_the_command_are_pointed_out)
{
	struct parsed *p = PARSE("list", "--json");
	ck_assert_int_eq(p->result, HBCTL_USAGE);
	ck_assert_ptr_nonnull(strstr(p->stderr_text, "before 'list'"));
	done(p);
	/* and a key given there is not repeated in the message */
	p = PARSE("list", "--api-key=sk_live_secret");
	ck_assert_int_eq(p->result, HBCTL_USAGE);
	ck_assert_ptr_nonnull(strstr(p->stderr_text, "'--api-key'"));
	ck_assert_ptr_null(strstr(p->stderr_text, "sk_live"));
	done(p);
}
END_TEST

START_TEST(the_key_is_never_shown)
{
	struct parsed *p = PARSE("--api-key", "", "list");
	ck_assert_int_eq(p->result, HBCTL_USAGE);
	done(p);
	p = PARSE("get", "--api-kex=sk_live_secret", "x");
	ck_assert_int_eq(p->result, HBCTL_USAGE);
	ck_assert_ptr_null(strstr(p->stderr_text, "sk_live"));
	done(p);
}
END_TEST

START_TEST(help_and_version_exit_zero)
{
	const char *const forms[][3] = {
		{ "--help", NULL }, { "-h", NULL }, { "--version", NULL },
		{ "-V", NULL }, { "create", "--help", NULL },
		{ "pings", "-h", NULL }, { "ping", "--help", NULL },
		{ "ensure", "--help", NULL },
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		struct parsed *p = parse_words(forms[i]);
		ck_assert_int_eq(p->result, HBCTL_EXIT_OK);
		ck_assert_str_eq(p->stderr_text, "");
		done(p);
	}
}
END_TEST

/* A reply read as call.c reads it, then as hbctl's exit status. */
static int exit_for(int curl_code, long status, long *kept)
{
	struct call_result r = { .outcome = outcome_classify(curl_code, status),
				 .attempts = 1 };
	struct http_reply reply = { .curl_code = curl_code, .status = status };
	call_result_take(&r, &reply);
	if (kept)
		*kept = r.status;
	int exit_status = hbctl_exit_of(&r);
	call_result_free(&r);
	return exit_status;
}

#define TRANSFER_OK 0     /* CURLE_OK */
#define TRANSFER_FAILED 7 /* any other CURLcode: here, could not connect */

START_TEST(every_2xx_is_done)
{
	for (long s = 200; s <= 299; s++)
		ck_assert_int_eq(exit_for(TRANSFER_OK, s, NULL), 0);
}
END_TEST

START_TEST(statuses_that_have_a_meaning_of_their_own)
{
	ck_assert_int_eq(exit_for(TRANSFER_OK, 401, NULL), 3);
	ck_assert_int_eq(exit_for(TRANSFER_OK, 402, NULL), 4);
	ck_assert_int_eq(exit_for(TRANSFER_OK, 404, NULL), 5);
	const long others[] = { 100, 199, 300, 304, 400, 403, 405, 409, 410,
				422, 429, 500, 503, 599 };
	for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
		long kept = 0;
		ck_assert_int_eq(exit_for(TRANSFER_OK, others[i], &kept), 1);
		ck_assert_int_eq(kept, others[i]);
	}
}
END_TEST

START_TEST(no_reply_is_a_failure_whatever_the_status)
{
	const long statuses[][2] = { { TRANSFER_FAILED, 0 },
				     { TRANSFER_FAILED, 200 },
				     { TRANSFER_FAILED, 404 },
				     { TRANSFER_OK, 0 } };
	for (size_t i = 0; i < 4; i++) {
		long kept = -1;
		ck_assert_int_eq(exit_for((int)statuses[i][0], statuses[i][1],
					  &kept), 1);
		ck_assert_int_eq(kept, 0);
	}
}
END_TEST

START_TEST(exit_statuses)
{
	struct call_result r = { .outcome = OUTCOME_SUCCESS, .status = 200 };
	ck_assert_int_eq(hbctl_exit_of(&r), 0);
	r = (struct call_result){ .outcome = OUTCOME_FAILED };
	ck_assert_int_eq(hbctl_exit_of(&r), 1);
	r = (struct call_result){ .outcome = OUTCOME_CANCELLED };
	ck_assert_int_eq(hbctl_exit_of(&r), 1);
	r = (struct call_result){ .outcome = OUTCOME_REJECTED, .status = 400 };
	ck_assert_int_eq(hbctl_exit_of(&r), 1);
	r = (struct call_result){ .outcome = OUTCOME_TRANSIENT, .status = 503 };
	ck_assert_int_eq(hbctl_exit_of(&r), 1);
	r = (struct call_result){ .outcome = OUTCOME_REJECTED, .status = 401 };
	ck_assert_int_eq(hbctl_exit_of(&r), 3);
	r = (struct call_result){ .outcome = OUTCOME_REJECTED, .status = 402 };
	ck_assert_int_eq(hbctl_exit_of(&r), 4);
	r = (struct call_result){ .outcome = OUTCOME_REJECTED, .status = 404 };
	ck_assert_int_eq(hbctl_exit_of(&r), 5);
}
END_TEST

static void load(struct settings *s, const char *cli_key, const char *config)
{
	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	if (cli_key)
		layer_set(&layers[LAYER_CLI], "api_key", cli_key);
	settings_load_hbctl(s, layers, config);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
}

START_TEST(api_key_precedence)
{
	const char *conf = scratch_file("k.conf", "api_key = from-file\n"
				       "api_url = https://file/v1\n"
				       "[job]\napi_key = from-job\n", 0600);
	struct settings s;
	unsetenv("TICKSTEM_API_KEY");
	unsetenv("HBRUN_API_URL");
	load(&s, NULL, conf);
	ck_assert_str_eq(s.api_key, "from-file");
	ck_assert_str_eq(s.api_url, "https://file/v1");
	settings_free(&s);
	setenv("TICKSTEM_API_KEY", "from-env", 1);
	setenv("HBRUN_API_URL", "https://env/v1", 1);
	load(&s, NULL, conf);
	ck_assert_str_eq(s.api_key, "from-env");
	ck_assert_str_eq(s.api_url, "https://env/v1");
	settings_free(&s);
	load(&s, "from-cli", conf);
	ck_assert_str_eq(s.api_key, "from-cli");
	settings_free(&s);
}
END_TEST

START_TEST(api_key_only_from_the_global_part)
{
	const char *conf = scratch_file("j.conf", "[job]\napi_key = x\n", 0600);
	struct settings s;
	unsetenv("TICKSTEM_API_KEY");
	load(&s, NULL, conf);
	ck_assert_ptr_null(s.api_key);
	ck_assert_str_eq(s.api_url, DEFAULT_API_URL);
	settings_free(&s);
}
END_TEST

START_TEST(a_key_file_open_to_others_is_not_used)
{
	const char *conf = scratch_file("w.conf", "api_key = k\n", 0622);
	struct settings s;
	unsetenv("TICKSTEM_API_KEY");
	capture_begin();
	load(&s, NULL, conf);
	const char *said = capture_end();
	ck_assert_ptr_null(s.api_key);
	ck_assert_ptr_nonnull(strstr(said, "writable by group or others"));
	settings_free(&s);
	conf = scratch_file("r.conf", "api_key = k\n", 0644);
	capture_begin();
	load(&s, NULL, conf);
	said = capture_end();
	ck_assert_str_eq(s.api_key, "k");
	ck_assert_ptr_nonnull(strstr(said, "readable by group or others"));
	ck_assert_ptr_null(strstr(said, "= k"));
	settings_free(&s);
}
END_TEST

START_TEST(hbrun_never_takes_the_key)
{
	const char *conf = scratch_file("h.conf", "api_key = k\n", 0600);
	struct layer layers[LAYER_COUNT];
	struct settings s;
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	setenv("TICKSTEM_API_KEY", "env-key", 1);
	capture_begin();
	settings_load(&s, layers, NULL, conf);
	ck_assert_str_eq(capture_end(), "");
	ck_assert_ptr_null(s.api_key);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	settings_free(&s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hbctl_cli");
	TCase *parse = tcase_create("parse");
	tcase_add_test(parse, create_with_defaults);
	tcase_add_test(parse, create_options_before_or_after_the_name);
	tcase_add_test(parse, global_options);
	tcase_add_test(parse, ping_token_is_copied_then_scrubbed);
	tcase_add_test(parse, every_command_and_its_operand);
	tcase_add_test(parse, update_keeps_unchanged_fields_unset);
	tcase_add_test(parse, ensure_leaves_what_is_not_given_unset);
	tcase_add_test(parse, ranges_are_checked);
	tcase_add_test(parse, edges_of_the_ranges_pass);
	tcase_add_test(parse, unusable_command_lines);
	tcase_add_test(parse, global_options_after_the_command_are_pointed_out);
	tcase_add_test(parse, the_key_is_never_shown);
	tcase_add_test(parse, help_and_version_exit_zero);
	suite_add_tcase(s, parse);
	TCase *exits = tcase_create("exit statuses");
	tcase_add_test(exits, every_2xx_is_done);
	tcase_add_test(exits, statuses_that_have_a_meaning_of_their_own);
	tcase_add_test(exits, no_reply_is_a_failure_whatever_the_status);
	tcase_add_test(exits, exit_statuses);
	suite_add_tcase(s, exits);
	TCase *settings = tcase_create("settings");
	tcase_add_test(settings, api_key_precedence);
	tcase_add_test(settings, api_key_only_from_the_global_part);
	tcase_add_test(settings, a_key_file_open_to_others_is_not_used);
	tcase_add_test(settings, hbrun_never_takes_the_key);
	suite_add_tcase(s, settings);
	return s;
}
