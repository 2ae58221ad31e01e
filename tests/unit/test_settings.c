#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "settings.h"
#include "unit.h"

START_TEST(counts)
{
	int n = -1;
	ck_assert(parse_count("0", 100, &n) && n == 0);
	ck_assert(parse_count("7", 100, &n) && n == 7);
	ck_assert(parse_count("100", 100, &n) && n == 100);
	ck_assert(!parse_count("101", 100, &n));
	ck_assert(!parse_count("-1", 100, &n));
	ck_assert(!parse_count("", 100, &n));
	ck_assert(!parse_count(" 3", 100, &n));
	ck_assert(!parse_count("3x", 100, &n));
	ck_assert(!parse_count("99999999999999999999", 100, &n));
}
END_TEST

START_TEST(seconds)
{
	double d = 0;
	ck_assert(parse_seconds("10", &d) && d == 10.0);
	ck_assert(parse_seconds("2.5", &d) && d == 2.5);
	ck_assert(parse_seconds(".5", &d) && d == 0.5);
	ck_assert(parse_seconds("86400", &d));
	ck_assert(!parse_seconds("86401", &d));
	ck_assert(!parse_seconds("0", &d));
	ck_assert(!parse_seconds("-1", &d));
	ck_assert(!parse_seconds("inf", &d));
	ck_assert(!parse_seconds("nan", &d));
	ck_assert(!parse_seconds("5s", &d));
	ck_assert(!parse_seconds("", &d));
}
END_TEST

/* Digits and one point only: what strtod() takes beyond that is not a
 * number of seconds the man page allows. */
START_TEST(seconds_digits_and_one_point_only)
{
	static const char *const bad[] = {
		"0x10", "0X1A", "1e2", "1E2", "2.34e+5", "1e-10000", " 5",
		"5 ", "+5", "1.2.3", "..5", ".", "1,5", "5d", "0x1p3",
	};
	static const struct { const char *text; double value; } good[] = {
		{ "5.", 5.0 }, { ".5", 0.5 }, { "010", 10.0 }, { "9.999999999", 9.999999999 },
	};
	double d;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!parse_seconds(bad[i], &d), "took '%s'", bad[i]);
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(parse_seconds(good[i].text, &d) && d == good[i].value,
			      "refused '%s'", good[i].text);
}
END_TEST

START_TEST(booleans_any_case)
{
	const char *yes[] = { "true", "TRUE", "Yes", "on", "ON", "1" };
	const char *no[] = { "false", "False", "no", "NO", "off", "0" };
	bool b;
	for (size_t i = 0; i < 6; i++) {
		ck_assert(parse_bool(yes[i], &b) && b);
		ck_assert(parse_bool(no[i], &b) && !b);
	}
	ck_assert(!parse_bool("2", &b));
	ck_assert(!parse_bool("yess", &b));
	ck_assert(!parse_bool("", &b));
}
END_TEST

/* The table itself: every default is a value of its own setting, and no
 * key, option, letter or variable names two settings. */
START_TEST(table_is_consistent)
{
	for (int a = 0; a < S_COUNT; a++) {
		const struct setting_def *d = &setting_defs[a];
		struct layer l;
		layer_init(&l);
		ck_assert_int_eq(setting_by_key(d->key), a);
		if (d->fallback)
			ck_assert_msg(layer_set_id(&l, a, d->fallback, 0) == SET_OK,
				      "default of %s", d->key);
		ck_assert_msg(d->help && *d->help, "help of %s", d->key);
		ck_assert_msg(!d->option || d->arg || d->type == TYPE_BOOL,
			      "a flag that is not a boolean: %s", d->key);
		ck_assert_msg(d->field != NO_FIELD || a == S_TOKEN ||
			      a == S_TOKEN_FILE, "no field: %s", d->key);
		for (int b = a + 1; b < S_COUNT; b++) {
			const struct setting_def *e = &setting_defs[b];
			ck_assert_str_ne(d->key, e->key);
			ck_assert(!d->option || !e->option ||
				  strcmp(d->option, e->option) != 0);
			ck_assert(!d->letter || d->letter != e->letter);
			ck_assert(!d->env || !e->env || strcmp(d->env, e->env) != 0);
		}
		layer_free(&l);
	}
}
END_TEST

START_TEST(keys)
{
	struct layer l;
	layer_init(&l);
	ck_assert_int_eq(layer_set(&l, "token", "abc"), SET_OK);
	ck_assert_int_eq(layer_set(&l, "ping_retries", "3"), SET_OK);
	ck_assert_int_eq(layer_set(&l, "ping_retries", "x"), SET_BAD_VALUE);
	ck_assert_int_eq((int)l.v[S_PING_RETRIES].number, 3);
	ck_assert_int_eq(layer_set(&l, "allow_http", "yes"), SET_OK);
	ck_assert_int_eq((int)l.v[S_ALLOW_HTTP].number, 1);
	ck_assert_int_eq(layer_set(&l, "api_key", "k"), SET_OK);
	ck_assert_int_eq(layer_set(&l, "tokn", "x"), SET_UNKNOWN_KEY);
	ck_assert_int_eq(layer_set(&l, "api_url", ""), SET_UNUSABLE);
	ck_assert_int_eq(l.v[S_API_URL].state, VALUE_UNUSABLE);
	ck_assert_str_eq(l.v[S_TOKEN].text, "abc");
	ck_assert(key_is_secret("token") && key_is_secret("api_key"));
	ck_assert(!key_is_secret("token_file"));
	layer_free(&l);
}
END_TEST

static void four_layers(struct layer layers[LAYER_COUNT])
{
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
}

static void free_layers(struct layer layers[LAYER_COUNT], struct settings *s)
{
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	settings_free(s);
}

START_TEST(defaults_when_nothing_is_set)
{
	struct layer layers[LAYER_COUNT];
	struct settings s;
	int from;
	four_layers(layers);
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_str_eq(s.api_url, DEFAULT_API_URL);
	ck_assert_ptr_null(s.ping_url);
	ck_assert_int_eq(s.ping_retries, 5);
	ck_assert_double_eq(s.ping_timeout, 10.0);
	ck_assert_double_eq(s.ping_deadline, 60.0);
	ck_assert(!s.allow_http && !s.quiet);
	ck_assert_int_eq(from, -1);
	free_layers(layers, &s);
}
END_TEST

/* Each level beats every level below it, field by field. */
START_TEST(precedence_level_by_level)
{
	static const char *const urls[] = { "https://cli", "https://env",
					    "https://job", "https://global" };
	for (int top = 0; top < LAYER_COUNT; top++) {
		struct layer layers[LAYER_COUNT];
		struct settings s;
		int from;
		four_layers(layers);
		for (int i = top; i < LAYER_COUNT; i++) {
			layer_set(&layers[i], "api_url", urls[i]);
			layer_set(&layers[i], "token", urls[i] + 8);
			char n[16];
			snprintf(n, sizeof n, "%d", i);
			layer_set(&layers[i], "ping_retries", n);
			snprintf(n, sizeof n, "%d", 10 + i);
			layer_set(&layers[i], "ping_deadline", n);
			layer_set(&layers[i], "quiet", i % 2 ? "1" : "0");
		}
		settings_merge(layers, SETTING_HBRUN, &s, &from);
		ck_assert_str_eq(s.api_url, urls[top]);
		ck_assert_int_eq(s.ping_retries, top);
		ck_assert_double_eq(s.ping_deadline, 10.0 + top);
		ck_assert_int_eq(s.quiet, top % 2);
		ck_assert_int_eq(from, top);
		free_layers(layers, &s);
	}
}
END_TEST

START_TEST(choices_any_case_and_unknown_ones_unusable)
{
	struct layer layers[LAYER_COUNT];
	struct settings s;
	int from;
	four_layers(layers);
	ck_assert_int_eq(layer_set(&layers[LAYER_CLI], "method", "get"), SET_OK);
	ck_assert_int_eq(layer_set(&layers[LAYER_JOB], "service", "HealthChecks"),
			 SET_OK);
	ck_assert_int_eq(layer_set(&layers[LAYER_GLOBAL], "method", "POST"), SET_OK);
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_str_eq(s.method, "GET");
	ck_assert_str_eq(s.service, "healthchecks");
	free_layers(layers, &s);

	four_layers(layers);
	ck_assert_int_eq(layer_set(&layers[LAYER_ENV], "service", "healthcheck"),
			 SET_UNKNOWN_CHOICE);
	ck_assert_int_eq(layer_set(&layers[LAYER_JOB], "method", "PUT"),
			 SET_UNKNOWN_CHOICE);
	ck_assert_int_eq(layer_set(&layers[LAYER_JOB], "service", ""), SET_UNUSABLE);
	layer_set(&layers[LAYER_GLOBAL], "service", "betterstack");
	layer_set(&layers[LAYER_GLOBAL], "method", "GET");
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert(s.unusable[S_SERVICE] && !s.service);
	ck_assert_int_eq(s.from[S_SERVICE], LAYER_ENV);
	ck_assert(s.unusable[S_METHOD] && !s.method);
	free_layers(layers, &s);

	four_layers(layers);
	ck_assert_int_eq(layer_set(&layers[LAYER_CLI], "send_output", "1048576"),
			 SET_OK);
	ck_assert_int_eq(layer_set(&layers[LAYER_CLI], "send_output", "1048577"),
			 SET_BAD_VALUE);
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_int_eq(s.send_output, 1048576);
	free_layers(layers, &s);
}
END_TEST

/* api_url goes with the service of its own level or a higher one. */
START_TEST(api_url_only_with_a_service_at_or_below_its_level)
{
	static const struct { int url_at, service_at; bool applies; } cases[] = {
		{ LAYER_GLOBAL, -1, true },
		{ LAYER_GLOBAL, LAYER_GLOBAL, true },
		{ LAYER_GLOBAL, LAYER_JOB, false },
		{ LAYER_JOB, LAYER_JOB, true },
		{ LAYER_ENV, LAYER_JOB, true },
		{ LAYER_JOB, LAYER_CLI, false },
		{ LAYER_CLI, LAYER_GLOBAL, true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct layer layers[LAYER_COUNT];
		struct settings s;
		int from;
		four_layers(layers);
		layer_set(&layers[cases[i].url_at], "api_url", "https://self.example");
		if (cases[i].service_at >= 0)
			layer_set(&layers[cases[i].service_at], "service",
				  "healthchecks");
		settings_merge(layers, SETTING_HBRUN, &s, &from);
		if (cases[i].applies) {
			ck_assert_str_eq(s.api_url, "https://self.example");
			ck_assert_int_eq(s.from[S_API_URL], cases[i].url_at);
		} else {
			ck_assert_int_eq(s.from[S_API_URL], -1);
		}
		free_layers(layers, &s);
	}
	/* nor does an unusable one below the service block it */
	struct layer layers[LAYER_COUNT];
	struct settings s;
	int from;
	four_layers(layers);
	layer_set(&layers[LAYER_GLOBAL], "api_url", "");
	layer_set(&layers[LAYER_JOB], "service", "healthchecks");
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert(!s.unusable[S_API_URL]);
	free_layers(layers, &s);
}
END_TEST

/* The templates, as api_url: a global ping_url must not take the token
 * of a section that chose another service. */
START_TEST(templates_only_with_a_service_at_or_below_their_level)
{
	static const char *const names[] = { "ping_url", "start_url", "fail_url" };
	static const int ids[] = { S_PING_URL, S_START_URL, S_FAIL_URL };
	static const struct { int url_at, service_at; bool applies; } cases[] = {
		{ LAYER_GLOBAL, -1, true },
		{ LAYER_GLOBAL, LAYER_GLOBAL, true },
		{ LAYER_GLOBAL, LAYER_JOB, false },
		{ LAYER_JOB, LAYER_JOB, true },
		{ LAYER_JOB, LAYER_CLI, false },
		{ LAYER_CLI, LAYER_GLOBAL, true },
	};
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			struct layer layers[LAYER_COUNT];
			struct settings s;
			int from;
			four_layers(layers);
			/* an unusable one below the service blocks nothing */
			layer_set(&layers[cases[i].url_at], names[k],
				  i % 2 ? "" : "https://t.example/{token}");
			if (cases[i].service_at >= 0)
				layer_set(&layers[cases[i].service_at], "service",
					  "betterstack");
			settings_merge(layers, SETTING_HBRUN, &s, &from);
			ck_assert_int_eq(s.from[ids[k]],
					 cases[i].applies ? cases[i].url_at : -1);
			ck_assert(cases[i].applies ||
				  (!s.unusable[ids[k]] && !s.ping_url &&
				   !s.start_url && !s.fail_url));
			free_layers(layers, &s);
		}
	}
}
END_TEST

/* A credential loses the white space around it, wherever it is set. */
START_TEST(credentials_trimmed)
{
	struct layer l;
	layer_init(&l);
	ck_assert_int_eq(layer_set(&l, "token", "abc\n"), SET_OK);
	ck_assert_str_eq(l.v[S_TOKEN].text, "abc");
	ck_assert_int_eq(layer_set(&l, "token", " \tab c\r\n"), SET_OK);
	ck_assert_str_eq(l.v[S_TOKEN].text, "ab c");
	ck_assert_int_eq(layer_set(&l, "api_key", "k\n"), SET_OK);
	ck_assert_str_eq(l.v[S_API_KEY].text, "k");
	/* white space only: empty, so set but unusable */
	ck_assert_int_eq(layer_set(&l, "token", " \n"), SET_UNUSABLE);
	ck_assert_int_eq(l.v[S_TOKEN].state, VALUE_UNUSABLE);
	/* not a credential: as given */
	ck_assert_int_eq(layer_set(&l, "lock", "/x "), SET_OK);
	ck_assert_str_eq(l.v[S_LOCK].text, "/x ");
	layer_free(&l);
}
END_TEST

/* A value set but unusable at one level blocks every level below it and
 * the default: nothing is guessed in its place. */
START_TEST(an_unusable_value_blocks_the_levels_below)
{
	for (int top = 0; top < LAYER_COUNT; top++) {
		struct layer layers[LAYER_COUNT];
		struct settings s;
		int from;
		four_layers(layers);
		layer_set(&layers[top], "api_url", "");
		layer_set(&layers[top], "token", "");
		for (int i = top + 1; i < LAYER_COUNT; i++) {
			layer_set(&layers[i], "api_url", "https://lower/v1");
			layer_set(&layers[i], "token", "lower-token");
		}
		settings_merge(layers, SETTING_HBRUN, &s, &from);
		ck_assert_ptr_null(s.api_url);
		ck_assert(s.unusable[S_API_URL]);
		ck_assert_int_eq(s.from[S_API_URL], top);
		ck_assert_int_eq(from, top);
		settings_resolve_token(&layers[from], &s);
		ck_assert_ptr_null(s.token);
		ck_assert(s.unusable[S_TOKEN]);
		free_layers(layers, &s);
	}
}
END_TEST

START_TEST(a_higher_token_file_beats_a_lower_token)
{
	struct layer layers[LAYER_COUNT];
	struct settings s;
	int from;
	four_layers(layers);
	layer_set(&layers[LAYER_GLOBAL], "token", "global-token");
	layer_set(&layers[LAYER_JOB], "token_file",
		  scratch_file("tok", "  job-token \n second line\n", 0600));
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_int_eq(from, LAYER_JOB);
	settings_resolve_token(&layers[from], &s);
	ck_assert_str_eq(s.token, "job-token");
	free_layers(layers, &s);
}
END_TEST

START_TEST(token_beats_token_file_at_one_level)
{
	struct layer l;
	struct settings s = { 0 };
	layer_init(&l);
	layer_set(&l, "token_file", scratch_file("t2", "from-file\n", 0600));
	layer_set(&l, "token", "given");
	settings_resolve_token(&l, &s);
	ck_assert_str_eq(s.token, "given");
	layer_free(&l);
	settings_free(&s);
}
END_TEST

START_TEST(environment_layer)
{
	struct layer l;
	layer_init(&l);
	setenv("HBRUN_TOKEN", "envtok", 1);
	setenv("HBRUN_API_URL", "https://env.example/v1", 1);
	settings_from_env(&l, SETTING_HBRUN);
	ck_assert_str_eq(l.v[S_TOKEN].text, "envtok");
	ck_assert_str_eq(l.v[S_API_URL].text, "https://env.example/v1");
	layer_free(&l);
	setenv("HBRUN_TOKEN", "", 1);
	unsetenv("HBRUN_API_URL");
	settings_from_env(&l, SETTING_HBRUN);
	ck_assert_ptr_null(l.v[S_TOKEN].text);
	ck_assert_ptr_null(l.v[S_API_URL].text);
}
END_TEST

START_TEST(trust_by_mode_and_owner)
{
	ck_assert_int_eq(file_trust(0600, 1000, 1000), TRUST_OK);
	ck_assert_int_eq(file_trust(0400, 0, 1000), TRUST_OK);
	ck_assert_int_eq(file_trust(0640, 1000, 1000), TRUST_READABLE);
	ck_assert_int_eq(file_trust(0604, 1000, 1000), TRUST_READABLE);
	ck_assert_int_eq(file_trust(0620, 1000, 1000), TRUST_WRITABLE);
	ck_assert_int_eq(file_trust(0602, 1000, 1000), TRUST_WRITABLE);
	ck_assert_int_eq(file_trust(0600, 1001, 1000), TRUST_FOREIGN);
}
END_TEST

static void load(const char *text, const char *job, struct layer *global,
		 struct layer *jl)
{
	layer_init(global);
	layer_init(jl);
	const char *path = scratch_file("hbrun.conf", text, 0600);
	config_load(path, job, global, jl);
}

START_TEST(config_global_and_job_section)
{
	struct layer g, j;
	load("api_url = https://g.example/v1\nping_retries = 2\n"
	     "[backup]\ntoken = bk\nping_retries = 4\n[other]\ntoken = no\n",
	     "backup", &g, &j);
	ck_assert_str_eq(g.v[S_API_URL].text, "https://g.example/v1");
	ck_assert_int_eq((int)g.v[S_PING_RETRIES].number, 2);
	ck_assert_str_eq(j.v[S_TOKEN].text, "bk");
	ck_assert_int_eq((int)j.v[S_PING_RETRIES].number, 4);
	ck_assert_ptr_null(g.v[S_TOKEN].text);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

START_TEST(config_warnings_name_file_and_line)
{
	struct layer g, j;
	capture_begin();
	load("; comment\nping_retries = many\nnosuchkey = 1\nurl: x\n"
	     "quiet = maybe\nno equals sign\nping_timeout = 3\n",
	     NULL, &g, &j);
	msg_release(false, false);
	const char *err = capture_end();
	ck_assert_msg(strstr(err, "hbrun.conf:2: bad value for 'ping_retries'"), "%s", err);
	ck_assert_msg(strstr(err, "hbrun.conf:3: unknown key 'nosuchkey'"), "%s", err);
	ck_assert_msg(strstr(err, "hbrun.conf:4: syntax error"), "%s", err);
	ck_assert_msg(strstr(err, "hbrun.conf:5: bad value for 'quiet'"), "%s", err);
	ck_assert_msg(strstr(err, "hbrun.conf:6: syntax error"), "%s", err);
	/* The rest of the file still applies. */
	ck_assert_double_eq(g.v[S_PING_TIMEOUT].number, 3.0);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

/* A line is read whole, whatever its length: the long value is used, and
 * nothing of it is read as a line of its own. */
START_TEST(config_long_line_is_read_whole)
{
	struct layer g, j;
	static char text[8192];
	memset(text, 'x', sizeof text);
	memcpy(text, "api_url = https://", 18);
	memcpy(text + 6000, "\nping_retries = 1\nfoo = 2\n", 26);
	text[6026] = '\0';
	capture_begin();
	load(text, NULL, &g, &j);
	msg_release(false, false);
	const char *err = capture_end();
	ck_assert_msg(!strstr(err, ":1:"), "%s", err);
	ck_assert_msg(strstr(err, ":3: unknown key 'foo'"), "%s", err);
	ck_assert_uint_eq(strlen(g.v[S_API_URL].text), 6000 - 10);
	ck_assert_int_eq((int)g.v[S_PING_RETRIES].number, 1);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

/* Headers decided by the whole line: a broken one opens a section no job
 * matches, its keys never merged into the section before it. */
START_TEST(config_broken_headers_take_their_keys)
{
	static const char *const broken[] = {
		"[b ;nightly]", "[]", "[ ]", "[b]x", "[b]b]", "[b", "[[b]]",
		"[b#1]", "[b] x ;y",
	};
	for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
		struct layer g, j;
		char text[256];
		snprintf(text, sizeof text, "[a]\ntoken = A\n%s\ntoken = B\n",
			 broken[i]);
		capture_begin();
		load(text, "a", &g, &j);
		msg_release(false, false);
		const char *err = capture_end();
		ck_assert_msg(strstr(err, ":3: broken section header"), "%s: %s",
			      broken[i], err);
		ck_assert_str_eq(j.v[S_TOKEN].text, "A");
		ck_assert_int_eq(g.v[S_TOKEN].state, VALUE_UNSET);
		layer_free(&g);
		layer_free(&j);
		capture_begin();
		load(text, "b", &g, &j);
		msg_release(false, false);
		capture_end();
		ck_assert_msg(j.v[S_TOKEN].state == VALUE_UNSET, "%s", broken[i]);
		layer_free(&g);
		layer_free(&j);
	}
}
END_TEST

/* The last line, blanks without a newline: nothing is read past the
 * file's bytes (valgrind and ASan watch this one). */
START_TEST(config_last_line_of_blanks)
{
	struct layer g, j;
	load("ping_retries = 3\n   \t", NULL, &g, &j);
	ck_assert_int_eq((int)g.v[S_PING_RETRIES].number, 3);
	layer_free(&g);
	layer_free(&j);
	load("   ", NULL, &g, &j);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

START_TEST(config_with_token_and_open_permissions)
{
	struct layer g, j;
	capture_begin();
	layer_init(&g);
	layer_init(&j);
	const char *path = scratch_file("open.conf", "token = t\n", 0644);
	config_load(path, NULL, &g, &j);
	ck_assert_str_eq(g.v[S_TOKEN].text, "t"); /* readable: used, with a warning */
	layer_free(&g);
	chmod(path, 0666);
	config_load(path, NULL, &g, &j);
	ck_assert_ptr_null(g.v[S_TOKEN].text); /* writable: not used at all */
	msg_release(false, false);
	const char *err = capture_end();
	ck_assert_msg(strstr(err, "readable by group or others"), "%s", err);
	ck_assert_msg(strstr(err, "writable by group or others; not used"), "%s", err);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

/* Without a token it could still redirect the ping: not used at all. */
START_TEST(config_without_token_is_judged_by_mode_too)
{
	struct layer g, j;
	layer_init(&g);
	layer_init(&j);
	capture_begin();
	ck_assert_int_eq(config_load(scratch_file("shared.conf",
						  "ping_retries = 1\n", 0666),
				     NULL, &g, &j), CONFIG_UNUSABLE);
	msg_release(false, false);
	ck_assert_msg(strstr(capture_end(), "writable by group or others; "
					     "not used"), "no warning");
	ck_assert_int_eq(g.v[S_PING_RETRIES].state, VALUE_UNSET);
	layer_free(&g);
	layer_free(&j);
}
END_TEST

START_TEST(relative_token_file_is_relative_to_the_config)
{
	struct layer g, j;
	struct settings s = { 0 };
	scratch_file("rel-token", "reltok\n", 0600);
	load("token_file = rel-token\n", NULL, &g, &j);
	ck_assert_str_eq(g.folder, scratch_dir());
	settings_resolve_token(&g, &s);
	ck_assert_str_eq(s.token, "reltok");
	layer_free(&g);
	layer_free(&j);
	settings_free(&s);
}
END_TEST

START_TEST(missing_named_config_warns)
{
	struct layer g, j;
	layer_init(&g);
	layer_init(&j);
	capture_begin();
	config_load("/nonexistent/hbrun.conf", NULL, &g, &j);
	msg_release(false, false);
	const char *err = capture_end();
	ck_assert_msg(strstr(err, "hbrun: /nonexistent/hbrun.conf: No such file"),
		      "%s", err);
}
END_TEST

START_TEST(search_order)
{
	bool explicit;
	char *p;
	setenv("HBRUN_CONFIG", "/from/env", 1);
	p = config_find("/from/cli", &explicit, NULL);
	ck_assert_str_eq(p, "/from/cli");
	ck_assert(explicit);
	free(p);
	p = config_find(NULL, &explicit, NULL);
	ck_assert_str_eq(p, "/from/env");
	free(p);
	unsetenv("HBRUN_CONFIG");
	char xdg[4096];
	snprintf(xdg, sizeof xdg, "%s/xdg", scratch_dir());
	mkdir(xdg, 0700);
	strcat(xdg, "/hbrun");
	mkdir(xdg, 0700);
	scratch_file("xdg/hbrun/hbrun.conf", "", 0600);
	snprintf(xdg, sizeof xdg, "%s/xdg", scratch_dir());
	setenv("XDG_CONFIG_HOME", xdg, 1);
	p = config_find(NULL, &explicit, NULL);
	ck_assert(!explicit);
	ck_assert(strstr(p, "/xdg/hbrun/hbrun.conf") != NULL);
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", scratch_dir(), 1);
	p = config_find(NULL, &explicit, NULL);
	/* No ~/.config/hbrun/hbrun.conf here: /etc/hbrun.conf or nothing. */
	ck_assert(p == NULL || strcmp(p, "/etc/hbrun.conf") == 0);
	free(p);
}
END_TEST

START_TEST(token_file_rules)
{
	capture_begin();
	ck_assert_ptr_null(token_file_read(scratch_file("w", "x\n", 0622), NULL));
	ck_assert_ptr_null(token_file_read(scratch_file("e", " \n", 0600), NULL));
	ck_assert_ptr_null(token_file_read("/nonexistent/token", NULL));
	char *t = token_file_read(scratch_file("r", "\tabc\r\n", 0640), NULL);
	ck_assert_str_eq(t, "abc");
	free(t);
	msg_release(false, false);
	const char *err = capture_end();
	ck_assert_msg(strstr(err, "writable by group or others; not used"), "%s", err);
	ck_assert_msg(strstr(err, "no token in its first line"), "%s", err);
	ck_assert_msg(strstr(err, "readable by group or others"), "%s", err);
}
END_TEST

START_TEST(status_lists)
{
	unsigned char bits[(STATUS_MAX + 8) / 8];
	ck_assert(parse_statuses("24", bits));
	ck_assert(bits[3] == 1 && bits[0] == 0);
	ck_assert(parse_statuses("1,24,255", bits));
	ck_assert(parse_statuses("1,1", NULL));
	const char *bad[] = { "", "0", "256", "-1", "1,", ",1", "1,,2", "1 ,2",
			      " 1", "x", "1;2", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!parse_statuses(bad[i], NULL), "%s", bad[i]);
}
END_TEST

START_TEST(job_control_settings)
{
	struct layer layers[LAYER_COUNT];
	struct settings s;
	int from;
	four_layers(layers);
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	/* All off by default; kill_after 10. */
	ck_assert(s.timeout == 0 && s.random_delay == 0 && !s.lock);
	ck_assert_double_eq(s.kill_after, 10.0);
	ck_assert(status_is_success(&s, 0) && !status_is_success(&s, 24));
	settings_free(&s);
	struct layer *g = &layers[LAYER_GLOBAL];
	ck_assert_int_eq(layer_set(g, "timeout", "0"), SET_BAD_VALUE);
	ck_assert_int_eq(layer_set(g, "timeout", "2678401"), SET_BAD_VALUE);
	ck_assert_int_eq(layer_set(g, "timeout", "2678400"), SET_OK);
	ck_assert_int_eq(layer_set(g, "kill_after", "0"), SET_OK);
	ck_assert_int_eq(layer_set(g, "kill_after", "86401"), SET_BAD_VALUE);
	ck_assert_int_eq(layer_set(g, "random_delay", "0.5"), SET_OK);
	ck_assert_int_eq(layer_set(g, "success_status", "3,24"), SET_OK);
	ck_assert_int_eq(layer_set(g, "success_status", ""), SET_BAD_VALUE);
	ck_assert_int_eq(layer_set(g, "lock", "run/x.lock"), SET_OK);
	ck_assert_int_eq(layer_set(&layers[LAYER_CLI], "lock", "/abs.lock"), SET_OK);
	g->folder = strdup("/etc/hbrun.d");
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_double_eq(s.timeout, 2678400.0);
	ck_assert_double_eq(s.kill_after, 0.0);
	ck_assert_double_eq(s.random_delay, 0.5);
	ck_assert(status_is_success(&s, 3) && status_is_success(&s, 24));
	ck_assert(!status_is_success(&s, 4) && !status_is_success(&s, 256));
	ck_assert_str_eq(s.lock, "/abs.lock");
	settings_free(&s);
	/* A relative lock from a config file is in that file's folder. */
	layer_free(&layers[LAYER_CLI]);
	settings_merge(layers, SETTING_HBRUN, &s, &from);
	ck_assert_str_eq(s.lock, "/etc/hbrun.d/run/x.lock");
	ck_assert_int_eq(s.from[S_LOCK], LAYER_GLOBAL);
	free_layers(layers, &s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *values = tcase_create("values");
	tcase_add_test(values, counts);
	tcase_add_test(values, seconds);
	tcase_add_test(values, seconds_digits_and_one_point_only);
	tcase_add_test(values, booleans_any_case);
	tcase_add_test(values, table_is_consistent);
	tcase_add_test(values, keys);
	tcase_add_test(values, status_lists);
	tcase_add_test(values, job_control_settings);
	suite_add_tcase(s, values);
	TCase *merge = tcase_create("precedence");
	tcase_add_test(merge, defaults_when_nothing_is_set);
	tcase_add_test(merge, precedence_level_by_level);
	tcase_add_test(merge, choices_any_case_and_unknown_ones_unusable);
	tcase_add_test(merge, api_url_only_with_a_service_at_or_below_its_level);
	tcase_add_test(merge, templates_only_with_a_service_at_or_below_their_level);
	tcase_add_test(merge, credentials_trimmed);
	tcase_add_test(merge, an_unusable_value_blocks_the_levels_below);
	tcase_add_test(merge, a_higher_token_file_beats_a_lower_token);
	tcase_add_test(merge, token_beats_token_file_at_one_level);
	tcase_add_test(merge, environment_layer);
	suite_add_tcase(s, merge);
	TCase *files = tcase_create("files");
	tcase_add_test(files, trust_by_mode_and_owner);
	tcase_add_test(files, config_global_and_job_section);
	tcase_add_test(files, config_warnings_name_file_and_line);
	tcase_add_test(files, config_long_line_is_read_whole);
	tcase_add_test(files, config_broken_headers_take_their_keys);
	tcase_add_test(files, config_last_line_of_blanks);
	tcase_add_test(files, config_with_token_and_open_permissions);
	tcase_add_test(files, config_without_token_is_judged_by_mode_too);
	tcase_add_test(files, relative_token_file_is_relative_to_the_config);
	tcase_add_test(files, missing_named_config_warns);
	tcase_add_test(files, search_order);
	tcase_add_test(files, token_file_rules);
	suite_add_tcase(s, files);
	return s;
}
