/* hbctl sync's pure parts: a crontab line, a command's hbrun, shell and
 * ExecStart words, unit files, unit names and specifiers, time spans, the
 * config-file edit, CronJob manifests, and the plan; and the finder of
 * timers over a folder of template units made here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_edit.h"
#include "find_cron.h"
#include "find_manifest.h"
#include "find_units.h"
#include "found.h"
#include "invocation.h"
#include "plan.h"
#include "unitfile.h"
#include "unitname.h"
#include "words.h"
#include "unit.h"

static const struct {
	const char *line;
	bool user_field;
	enum cron_line_kind kind;
	const char *expr, *user, *command; /* or name, value; or why */
} cron_cases[] = {
	{ "", true, CRON_NOTHING, NULL, NULL, NULL },
	{ "   \t", true, CRON_NOTHING, NULL, NULL, NULL },
	{ "  # 0 * * * * root x", true, CRON_NOTHING, NULL, NULL, NULL },
	{ "CRON_TZ=Europe/Berlin", false, CRON_VARIABLE, NULL, "CRON_TZ",
	  "Europe/Berlin" },
	{ "MAILTO = \"a b\"  ", false, CRON_VARIABLE, NULL, "MAILTO", "a b" },
	{ "SHELL=/bin/sh", true, CRON_VARIABLE, NULL, "SHELL", "/bin/sh" },
	{ "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly",
	  true, CRON_ENTRY, "17 * * * *", "root",
	  "cd / && run-parts --report /etc/cron.hourly" },
	{ "@daily hbrun -j d -- x", false, CRON_ENTRY, "@daily", NULL,
	  "hbrun -j d -- x" },
	{ "0 22 * * 1-5 mail -s \"It's 10pm\" joe%Joe,%%Where?%", false,
	  CRON_ENTRY, "0 22 * * 1-5", NULL, "mail -s \"It's 10pm\" joe" },
	{ "33 22 * * * expr $(date +\\%s) \\% 9", false, CRON_ENTRY,
	  "33 22 * * *", NULL, "expr $(date +%s) % 9" },
	{ "0 * * * * FOO=bar cmd", false, CRON_ENTRY, "0 * * * *", NULL,
	  "FOO=bar cmd" },
	{ "5 4 * *", false, CRON_BAD, NULL, NULL, "fewer than five time fields" },
	{ "5 4 * * * root", true, CRON_BAD, NULL, NULL, "no command" },
	{ "@weekly", true, CRON_BAD, NULL, NULL, "no user field" },
};

START_TEST(crontab_lines)
{
	char line[256];
	snprintf(line, sizeof line, "%s", cron_cases[_i].line);
	struct cron_line c;
	cron_line_read(line, cron_cases[_i].user_field, &c);
	ck_assert_int_eq(c.kind, cron_cases[_i].kind);
	if (c.kind == CRON_ENTRY) {
		ck_assert_str_eq(c.expr, cron_cases[_i].expr);
		if (cron_cases[_i].user)
			ck_assert_str_eq(c.user, cron_cases[_i].user);
		else
			ck_assert_ptr_null(c.user);
		ck_assert_str_eq(c.command, cron_cases[_i].command);
	} else if (c.kind == CRON_VARIABLE) {
		ck_assert_str_eq(c.name, cron_cases[_i].user);
		ck_assert_str_eq(c.value, cron_cases[_i].command);
	} else if (c.kind == CRON_BAD) {
		ck_assert_str_eq(c.why, cron_cases[_i].command);
	}
}
END_TEST

#define W(...) { __VA_ARGS__, NULL }
static const struct {
	const char *words[16];
	bool runs;
	const char *name, *config, *token_file;
	bool token_given;
} inv_cases[] = {
	{ W("hbrun", "-j", "a", "--", "x"), true, "a", NULL, NULL, false },
	{ W("/usr/bin/hbrun", "--job=b", "x"), true, "b", NULL, NULL, false },
	{ W("FOO=1", "env", "-u", "X", "BAR=2", "nice", "-n", "5", "ionice",
	    "-c", "3", "hbrun", "-jc", "x"), true, "c", NULL, NULL, false },
	{ W("hbrun", "-vj", "d", "-c", "/e.conf", "--token-file", "/t", "--",
	    "x"), true, "d", "/e.conf", "/t", false },
	{ W("hbrun", "--job", "e", "--config=/f", "--token-file=/g", "x"),
	  true, "e", "/f", "/g", false },
	{ W("hbrun", "-t", "TOK", "--", "x"), true, NULL, NULL, NULL, true },
	{ W("HBRUN_TOKEN=abc", "hbrun", "-j", "h", "x"), true, "h", NULL, NULL,
	  true },
	{ W("hbrun", "--", "x", "-j", "no"), true, NULL, NULL, NULL, false },
	{ W("hbrun", "x", "-j", "no"), true, NULL, NULL, NULL, false },
	{ W("hbrun", "--timeout", "30", "-j", "i", "y"), true, "i", NULL, NULL,
	  false },
	{ W("backup", "-j", "x"), false, NULL, NULL, NULL, false },
	{ W("nice", "backup"), false, NULL, NULL, NULL, false },
	{ W("env", "-i", "PATH=/bin", "/usr/local/bin/hbrun", "-j", "k", "x"),
	  true, "k", NULL, NULL, false },
};

static void assert_str_or_null(const char *got, const char *want)
{
	if (want)
		ck_assert_str_eq(got, want);
	else
		ck_assert_ptr_null(got);
}

START_TEST(hbrun_in_a_command)
{
	size_t n = 0;
	while (inv_cases[_i].words[n])
		n++;
	struct invocation inv;
	ck_assert(invocation_read((char *const *)inv_cases[_i].words, n, &inv));
	ck_assert_int_eq(inv.runs_hbrun, inv_cases[_i].runs);
	assert_str_or_null(inv.name, inv_cases[_i].name);
	assert_str_or_null(inv.config, inv_cases[_i].config);
	assert_str_or_null(inv.token_file, inv_cases[_i].token_file);
	ck_assert_int_eq(inv.token_given, inv_cases[_i].token_given);
	invocation_free(&inv);
}
END_TEST

START_TEST(shell_text_into_commands)
{
	struct strv *c;
	size_t n;
	ck_assert(shell_commands("cd / && hbrun -j 'a b' -- x >/dev/null 2>&1;"
				 " echo \"q \\\"x\\\"\" # not a word", &c, &n));
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(c[0].n, 2);
	ck_assert_str_eq(c[1].v[2], "a b");
	ck_assert_int_eq(c[1].n, 5); /* the redirections are gone */
	ck_assert_str_eq(c[2].v[1], "q \"x\"");
	ck_assert_int_eq(c[2].n, 2);
	words_free_all(c, n);
	ck_assert(!shell_commands("echo 'open", &c, &n));
}
END_TEST

START_TEST(hbrun_anywhere_in_a_shell_line)
{
	static const char *const lines[] = {
		"cd / && sh -c 'hbrun -j a -- x'",
		"test -x /x || exec nohup /usr/bin/hbrun -j a -- x",
		"bash -c \"cd /srv; hbrun --job a -- x\" 2>&1 | logger",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		struct found_list l = { 0 };
		struct found_job *j = found_add(&l, FOUND_UNMONITORED, "f", 1);
		ck_assert(found_from_shell(j, lines[i]));
		ck_assert_int_eq(j->kind, FOUND_JOB);
		ck_assert_str_eq(j->name, "a");
		found_list_free(&l);
	}
}
END_TEST

START_TEST(execstart_words)
{
	struct strv w = { 0 };
	ck_assert(exec_words("-/usr/bin/hbrun -j \"a b\" --token-file %d/hb", &w));
	ck_assert_int_eq(w.n, 5);
	ck_assert_str_eq(w.v[0], "/usr/bin/hbrun");
	ck_assert_str_eq(w.v[2], "a b");
	strv_free(&w);
	ck_assert(exec_words("@/usr/bin/hbrun hbrun-alias -j x", &w));
	ck_assert_int_eq(w.n, 3);
	ck_assert_str_eq(w.v[0], "/usr/bin/hbrun");
	ck_assert_str_eq(w.v[1], "-j");
	strv_free(&w);
	ck_assert(!exec_words("hbrun \"open", &w));
	ck_assert(!exec_words("   ", &w));
}
END_TEST

START_TEST(unit_files_as_systemd_reads_them)
{
	static const char timer[] =
		"# comment\n[Unit]\nDescription=x\n\n[Timer]\n"
		"OnCalendar=daily\nOnCalendar=Mon *-*-* 01:00\n"
		"; another comment\nAccuracySec=1h\n"
		"OnCalendar=*-*-* \\\n  # skipped inside\n 03:00\n";
	static const char dropin[] = "[Timer]\nOnCalendar=\nOnCalendar=weekly\n"
				     "AccuracySec=\n";
	struct unit u = { 0 };
	const struct unit_entry *e[8];
	ck_assert(unit_parse(&u, timer, strlen(timer), "a.timer"));
	ck_assert_int_eq(unit_list(&u, "Timer", "OnCalendar", e, 8), 3);
	ck_assert_str_eq(e[1]->value, "Mon *-*-* 01:00");
	ck_assert_str_eq(e[2]->value, "*-*-*   03:00");
	ck_assert_int_eq(e[2]->line, 10);
	ck_assert_str_eq(unit_last(&u, "Timer", "AccuracySec")->value, "1h");
	ck_assert(unit_parse(&u, dropin, strlen(dropin), "a.timer.d/x.conf"));
	ck_assert_int_eq(unit_list(&u, "Timer", "OnCalendar", e, 8), 1);
	ck_assert_str_eq(e[0]->value, "weekly");
	ck_assert_str_eq(e[0]->file, "a.timer.d/x.conf");
	ck_assert_ptr_null(unit_last(&u, "Timer", "AccuracySec"));
	/* systemd ignores an empty time span: the one before stands. */
	ck_assert_str_eq(unit_last_set(&u, "Timer", "AccuracySec")->value, "1h");
	ck_assert_ptr_null(unit_last(&u, "Unit", "OnCalendar"));
	unit_free(&u);
}
END_TEST

START_TEST(timer_triggers_share_one_list)
{
	static const char *const keys[] = { "OnCalendar", "OnUnitActiveSec",
					    "OnBootSec", NULL };
	static const char timer[] = "[Timer]\nOnBootSec=15min\n"
				    "OnUnitActiveSec=1h\nOnCalendar=daily\n";
	static const char dropin[] = "[Timer]\nOnBootSec=\nOnCalendar=weekly\n";
	struct unit u = { 0 };
	const struct unit_entry *e[4];
	ck_assert(unit_parse(&u, timer, strlen(timer), "a.timer"));
	ck_assert_int_eq(unit_list_shared(&u, "Timer", keys, "OnUnitActiveSec",
					  e, 4), 1);
	ck_assert(unit_parse(&u, dropin, strlen(dropin), "a.timer.d/x.conf"));
	/* OnBootSec= emptied the calendar and OnUnitActiveSec= too. */
	ck_assert_int_eq(unit_list_shared(&u, "Timer", keys, "OnUnitActiveSec",
					  e, 4), 0);
	ck_assert_int_eq(unit_list_shared(&u, "Timer", keys, "OnCalendar",
					  e, 4), 1);
	ck_assert_str_eq(e[0]->value, "weekly");
	/* Alone, a key is its own list. */
	ck_assert_int_eq(unit_list(&u, "Timer", "OnUnitActiveSec", e, 4), 1);
	unit_free(&u);
}
END_TEST

static const struct {
	const char *name, *template; /* template NULL: no instance */
} template_cases[] = {
	{ "foo@bar.timer", "foo@.timer" },
	{ "foo@a-b\\x2dc.service", "foo@.service" },
	{ "foo@bar@baz.timer", "foo@.timer" }, /* the first '@' splits */
	{ "foo@.timer", NULL },                /* the template itself */
	{ "foo.timer", NULL },
	{ "@bar.timer", "@.timer" },
};

START_TEST(template_names)
{
	char out[64] = "";
	bool ok = unit_name_template(template_cases[_i].name, out, sizeof out);
	ck_assert_int_eq(ok, template_cases[_i].template != NULL);
	if (ok)
		ck_assert_str_eq(out, template_cases[_i].template);
}
END_TEST

static const struct {
	const char *name, *parent; /* parent NULL: none */
} dash_cases[] = {
	{ "foo-bar-baz.timer", "foo-bar-.timer" },
	{ "foo-bar-.timer", "foo-.timer" },
	{ "foo-.timer", NULL },
	{ "foo.timer", NULL },
	{ "-foo.timer", NULL },
	{ "a--b.service", "a--.service" },
	{ "a--.service", "a-.service" },
	{ "foo-bar@x-y.timer", "foo-@x-y.timer" }, /* the instance kept */
	{ "foo-bar@.timer", "foo-.timer" },        /* a template: none */
	{ "foo-@x.timer", NULL },
	{ "foo@x-y.timer", NULL },                 /* dashes after '@' */
};

START_TEST(dash_parents)
{
	char out[64] = "";
	bool ok = unit_name_dash_parent(dash_cases[_i].name, out, sizeof out);
	ck_assert_int_eq(ok, dash_cases[_i].parent != NULL);
	if (ok)
		ck_assert_str_eq(out, dash_cases[_i].parent);
}
END_TEST

static const struct {
	const char *word, *unit, *want; /* want NULL: systemd refuses it */
} specifier_cases[] = {
	{ "backup-%i", "foo@bar.service", "backup-bar" },
	{ "%n|%N|%p|%i", "foo@bar.service", "foo@bar.service|foo@bar|foo|bar" },
	{ "%I", "foo@a-b\\x2dc.service", "a/b-c" },
	{ "%i", "foo@a-b\\x2dc.service", "a-b\\x2dc" },
	{ "%P", "a-b@x.timer", "a/b" },
	{ "%i%%i", "foo@bar.timer", "bar%i" },
	{ "%d/tok", "foo@bar.service", "%d/tok" }, /* for LoadCredential= */
	{ "%i|%I|%p", "plain.service", "||plain" },
	{ "-%", "foo@bar.service", "-%" },
	{ "%I", "foo@a\\x2.service", NULL },
	{ "%I", "foo@a\\y41.service", NULL },
	{ "%I", "foo@a\\x00.service", NULL },
};

START_TEST(specifiers_of_a_name)
{
	bool bad = true;
	char *got = unit_specifiers(specifier_cases[_i].word,
				    specifier_cases[_i].unit, &bad);
	ck_assert_int_eq(bad, specifier_cases[_i].want == NULL);
	if (specifier_cases[_i].want)
		ck_assert_str_eq(got, specifier_cases[_i].want);
	else
		ck_assert_ptr_null(got);
	free(got);
}
END_TEST

static const struct {
	const char *path, *text; /* text NULL: a folder; "->X": a link to X */
} template_tree[] = {
	{ "t.wants", NULL },
	{ "t.requires", NULL },
	{ "foo@.timer", "[Timer]\nOnCalendar=daily\nAccuracySec=1s\n" },
	{ "foo@.service", "[Service]\nExecStart=/usr/bin/hbrun -j b-%i -- /x\n" },
	{ "foo@.service.d", NULL },
	{ "foo@.service.d/a.conf", "[Service]\nUser=tmpl\n" },
	{ "foo@.service.d/b.conf", "[Service]\nNice=5\n" },
	{ "foo@two.service.d", NULL },
	{ "foo@two.service.d/a.conf", "[Service]\nUser=inst\n" },
	{ "foo@.timer.d", NULL },
	{ "foo@.timer.d/h.conf", "[Timer]\nOnCalendar=\nOnCalendar=hourly\n" },
	{ "t.wants/foo@one.timer", "->../foo@.timer" },
	{ "t.requires/foo@two.timer", "->../foo@.timer" },
	{ "t.wants/foo@one.service", "->../foo@.service" },
	/* A template of its own, with no instance, and an instance whose
	 * Unit= names another instance of another template. */
	{ "bare@.timer", "[Timer]\nOnCalendar=daily\n" },
	{ "bare@.service", "[Service]\nExecStart=/usr/bin/hbrun -j bare -- /x\n" },
	{ "u@.timer", "[Timer]\nOnCalendar=weekly\nUnit=w@%i.service\n" },
	{ "w@.service", "[Service]\nExecStart=/usr/bin/hbrun -j w-%i-%I -- /x\n" },
	{ "t.wants/u@a-b.timer", "->../u@.timer" },
	{ "bad@.timer", "[Timer]\nOnCalendar=daily\n" },
	{ "bad@.service", "[Service]\nExecStart=/usr/bin/hbrun -j b-%I -- /x\n" },
	{ "t.wants/bad@a\\x2.timer", "->../bad@.timer" },
	{ "t.wants/foo@three.timer", "->/dev/null" },
	{ "foo@three.timer", "->/dev/null" }, /* masked */
};

static const struct {
	const char *name, *user, *expr; /* name NULL: unreadable */
} template_jobs[] = {
	{ NULL, NULL, NULL }, /* bad@a\x2: its %I cannot be unescaped */
	{ "b-one", "tmpl", "hourly" },
	{ "b-two", "inst", "hourly" }, /* the instance's a.conf wins */
	{ "w-a-b-a/b", NULL, "weekly" },
};

START_TEST(enabled_template_instances)
{
	char dir[] = "/tmp/hbrun-units-XXXXXX", path[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	size_t n = sizeof template_tree / sizeof *template_tree;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, template_tree[i].path);
		const char *text = template_tree[i].text;
		if (!text) {
			ck_assert_int_eq(mkdir(path, 0755), 0);
		} else if (text[0] == '-' && text[1] == '>') {
			ck_assert_int_eq(symlink(text + 2, path), 0);
		} else {
			FILE *f = fopen(path, "w");
			ck_assert_ptr_nonnull(f);
			fputs(text, f);
			fclose(f);
		}
	}
	const char *dirs[] = { dir };
	struct found_list l = { 0 };
	ck_assert(find_units(dirs, 1, &l));
	size_t want = sizeof template_jobs / sizeof *template_jobs;
	ck_assert_int_eq(l.n, want);
	for (size_t i = 0; i < want; i++) {
		ck_assert_int_eq(l.v[i].kind, template_jobs[i].name
					      ? FOUND_JOB : FOUND_UNREADABLE);
		if (!template_jobs[i].name)
			continue;
		ck_assert_str_eq(l.v[i].name, template_jobs[i].name);
		assert_str_or_null(l.v[i].user, template_jobs[i].user);
		ck_assert_int_eq(l.v[i].exprs.n, 1);
		ck_assert_str_eq(l.v[i].exprs.v[0], template_jobs[i].expr);
	}
	ck_assert_int_eq(l.v[1].extra_grace, 1);
	found_list_free(&l);
	for (size_t i = n; i-- > 0;) {
		snprintf(path, sizeof path, "%s/%s", dir, template_tree[i].path);
		ck_assert_int_eq(template_tree[i].text ? unlink(path) : rmdir(path), 0);
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Two unit folders, hi before lo, and the drop-ins of a dashed timer in
 * all the folders systemd reads them from. */
static const struct {
	const char *path, *text; /* text NULL: a folder; "->X": a link to X */
} dash_tree[] = {
	{ "hi", NULL }, { "lo", NULL },
	{ "lo/a-b-c.timer", "[Timer]\nOnCalendar=daily\n" },
	{ "lo/a-b-c.service", "[Service]\nExecStart=/bin/true\n" },
	{ "lo/timer.d", NULL },
	{ "lo/timer.d/10-all.conf", "[Timer]\nOnCalendar=weekly\n" },
	{ "hi/a-.timer.d", NULL },
	{ "hi/a-.timer.d/20-pre.conf", "[Timer]\nOnCalendar=monthly\n" },
	{ "lo/a-b-.timer.d", NULL }, /* hi's 20-pre.conf hides it */
	{ "lo/a-b-.timer.d/20-pre.conf", "[Timer]\nOnCalendar=yearly\n" },
	{ "lo/a-b-c.timer.d", NULL },
	{ "lo/a-b-c.timer.d/30-own.conf", "[Timer]\nAccuracySec=5s\n" },
	{ "lo/a-b-c.timer.d/60-dir.conf", NULL },
	{ "hi/timer.d", NULL }, /* the type's folder comes last */
	{ "hi/timer.d/30-own.conf", "[Timer]\nAccuracySec=9s\n" },
	{ "lo/timer.d/40-null.conf", "[Timer]\nOnCalendar=hourly\n" },
	{ "hi/a-b-c.timer.d", NULL },
	{ "hi/a-b-c.timer.d/40-null.conf", "->/dev/null" },
	{ "hi/a-b-c.timer.d/.50-hidden.conf", "[Timer]\nOnCalendar=minutely\n" },
	{ "lo/service.d", NULL },
	{ "lo/service.d/10-hb.conf",
	  "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j abc -- /x\n" },
};

static void tree_make(const char *dir, const char *path, const char *text)
{
	char full[256];
	snprintf(full, sizeof full, "%s/%s", dir, path);
	if (!text) {
		ck_assert_int_eq(mkdir(full, 0755), 0);
	} else if (text[0] == '-' && text[1] == '>') {
		ck_assert_int_eq(symlink(text + 2, full), 0);
	} else {
		FILE *f = fopen(full, "w");
		ck_assert_ptr_nonnull(f);
		fputs(text, f);
		fclose(f);
	}
}

static void tree_remove(const char *dir, const char *path, const char *text)
{
	char full[256];
	snprintf(full, sizeof full, "%s/%s", dir, path);
	ck_assert_int_eq(text ? unlink(full) : rmdir(full), 0);
}

START_TEST(dropins_of_prefixes_and_the_type)
{
	char dir[] = "/tmp/hbrun-units-XXXXXX", hi[64], lo[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	size_t n = sizeof dash_tree / sizeof *dash_tree;
	for (size_t i = 0; i < n; i++)
		tree_make(dir, dash_tree[i].path, dash_tree[i].text);
	snprintf(hi, sizeof hi, "%s/hi", dir);
	snprintf(lo, sizeof lo, "%s/lo", dir);
	const char *dirs[] = { hi, lo };
	struct found_list l = { 0 };
	ck_assert(find_units(dirs, 2, &l));
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].kind, FOUND_JOB);
	ck_assert_str_eq(l.v[0].name, "abc");
	ck_assert_int_eq(l.v[0].exprs.n, 3);
	ck_assert_str_eq(l.v[0].exprs.v[0], "daily");
	ck_assert_str_eq(l.v[0].exprs.v[1], "weekly");
	ck_assert_str_eq(l.v[0].exprs.v[2], "monthly");
	ck_assert_int_eq(l.v[0].extra_grace, 5);
	found_list_free(&l);
	for (size_t i = n; i-- > 0;)
		tree_remove(dir, dash_tree[i].path, dash_tree[i].text);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static const struct {
	const char *text;
	long secs; /* -1: not a span */
} span_cases[] = {
	{ "90", 90 }, { "5min", 300 }, { "1h 30min", 5400 }, { "1d", 86400 },
	{ "2.5s", 3 }, { "500ms", 1 }, { "1w", 604800 }, { " 12h ", 43200 },
	{ "1hour2min", 3720 }, { "", -1 }, { "x", -1 }, { "5 parsecs", -1 },
	{ "-5s", -1 },
};

START_TEST(time_spans)
{
	long v = -1;
	bool ok = timespan_seconds(span_cases[_i].text, &v);
	ck_assert_int_eq(ok, span_cases[_i].secs >= 0);
	if (ok)
		ck_assert_int_eq(v, span_cases[_i].secs);
}
END_TEST

static const struct {
	const char *before, *section, *after; /* after NULL: refused */
} edit_cases[] = {
	{ "# hand\n\n[other]\nx = 1 ; c\n", "job",
	  "# hand\n\n[other]\nx = 1 ; c\n\n[job]\ntoken = T0K3N\n" },
	{ "api_key = k\n[job]\n# keep\ntimeout = 5\n\n[z]\n", "job",
	  "api_key = k\n[job]\ntoken = T0K3N\n# keep\ntimeout = 5\n\n[z]\n" },
	{ "[ job ] ; spaced\r\nlock = /x\r\n", "job",
	  "[ job ] ; spaced\r\ntoken = T0K3N\r\nlock = /x\r\n" },
	{ "[job]", "job", "[job]\ntoken = T0K3N\n" },
	{ "", "job", "[job]\ntoken = T0K3N\n" },
	{ "no newline", "job", "no newline\n\n[job]\ntoken = T0K3N\n" },
	{ "[job\ntoken = a\n", "job", "[job\ntoken = a\n\n[job]\ntoken = T0K3N\n" },
	{ "[job]\n  token=old\n", "job", NULL },
	{ "[job]\ntoken = a\n[job]x\n", "job", NULL },
};

START_TEST(config_edit_keeps_every_byte)
{
	char *out = NULL;
	size_t len;
	const char *why;
	const char *before = edit_cases[_i].before;
	bool ok = conf_insert(before, strlen(before), edit_cases[_i].section,
			      "T0K3N", &out, &len, &why);
	ck_assert_int_eq(ok, edit_cases[_i].after != NULL);
	if (ok) {
		ck_assert_int_eq(len, strlen(edit_cases[_i].after));
		ck_assert(memcmp(out, edit_cases[_i].after, len) == 0);
	} else {
		ck_assert_ptr_nonnull(why);
	}
	free(out);
}
END_TEST

START_TEST(config_edit_refuses_odd_tokens)
{
	static const char *const odd[] = { "a b", "a;b", "\"ab\"", "#ab", "",
					   "a\nb" };
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		char *out = NULL;
		size_t len;
		const char *why = NULL;
		ck_assert(!conf_insert("", 0, "j", odd[i], &out, &len, &why));
		ck_assert_ptr_nonnull(why);
		ck_assert(strstr(why, odd[i]) == NULL || !*odd[i]);
	}
}
END_TEST

static const char manifests[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- apiVersion: batch/v1\n  kind: CronJob\n"
	"  metadata: {name: a, namespace: ns}\n"
	"  spec:\n    schedule: \"0 3 * * *\"\n    timeZone: Etc/UTC\n"
	"    jobTemplate:\n      spec:\n        template:\n          spec:\n"
	"            containers:\n            - name: c\n"
	"              command: [hbrun, -j, nightly]\n"
	"              args: [--, /app/run]\n"
	"              env:\n              - name: HBRUN_TOKEN\n"
	"                valueFrom: {secretKeyRef: {name: hb, key: token}}\n"
	"- kind: CronJob\n  spec:\n    schedule: \"@hourly\"\n    suspend: true\n"
	"    jobTemplate: {spec: {template: {spec: {containers: [{name: d, "
	"command: [sh, -c, 'cd /x && exec hbrun -j sus -- y']}]}}}}\n"
	"---\nkind: CronJob\nspec:\n  schedule: \"CRON_TZ=Asia/Tokyo 5 * * * *\"\n"
	"  jobTemplate: {spec: {template: {spec: {containers: [{name: e, "
	"image: x, args: [report]}]}}}}\n"
	"---\nkind: ConfigMap\ndata: {a: b}\n"
	"---\nkind: [unclosed\n";

START_TEST(cronjob_manifests)
{
	struct found_list l = { 0 };
	ck_assert(manifest_parse(manifests, strlen(manifests), "m.yaml", &l));
	ck_assert_int_eq(l.n, 4);
	ck_assert_int_eq(l.v[0].kind, FOUND_JOB);
	ck_assert_str_eq(l.v[0].name, "nightly");
	ck_assert_str_eq(l.v[0].exprs.v[0], "0 3 * * *");
	ck_assert_str_eq(l.v[0].tz, "Etc/UTC");
	ck_assert_str_eq(l.v[0].place, "m.yaml:15");
	ck_assert_str_eq(l.v[0].secret, "Secret hb key token");
	ck_assert_int_eq(l.v[0].token_to, TOKEN_TO_SECRET);
	ck_assert_int_eq(l.v[1].kind, FOUND_SUSPENDED);
	ck_assert_str_eq(l.v[1].name, "sus");
	ck_assert_int_eq(l.v[2].kind, FOUND_UNMONITORED);
	ck_assert_str_eq(l.v[2].tz, "Asia/Tokyo");
	ck_assert_str_eq(l.v[2].exprs.v[0], "5 * * * *");
	ck_assert_str_eq(l.v[2].command, "report");
	ck_assert_int_eq(l.v[3].kind, FOUND_UNREADABLE);
	found_list_free(&l);
}
END_TEST

/* A found job for the plan's tests. */
static struct found_job *job(struct found_list *l, const char *name,
			     const char *expr, long grace,
			     enum token_to to)
{
	struct found_job *j = found_add(l, name ? FOUND_JOB : FOUND_UNMONITORED,
					"f", (long)l->n + 1);
	ck_assert_ptr_nonnull(j);
	found_set(&j->name, name);
	if (expr)
		strv_add(&j->exprs, expr);
	j->grace = grace;
	j->token_to = to;
	found_set(&j->dest, to == TOKEN_TO_NOWHERE ? "no place" : "/c");
	return j;
}

START_TEST(plan_one_heartbeat_per_name)
{
	struct found_list l = { 0 };
	job(&l, "a", "@daily", -1, TOKEN_TO_CONFIG);
	job(&l, NULL, "@daily", -1, TOKEN_TO_CONFIG);
	job(&l, "a", "@hourly", 400, TOKEN_TO_CONFIG)->extra_grace = 60;
	job(&l, "b", "@daily", -1, TOKEN_TO_CONFIG);
	job(&l, "c", "@hourly", 600, TOKEN_TO_CONFIG);
	job(&l, "d", "@daily", -1, TOKEN_TO_CONFIG);
	job(&l, "e", "@daily", -1, TOKEN_TO_NOWHERE);
	job(&l, "f", "@reboot", -1, TOKEN_TO_CONFIG);
	struct heartbeat hb[] = {
		{ .id = "1", .name = "b", .interval_secs = 86400, .grace_secs = 300 },
		{ .id = "2", .name = "c", .interval_secs = 86400, .grace_secs = 600 },
		{ .id = "3", .name = "d", .interval_secs = 1, .grace_secs = 1 },
		{ .id = "4", .name = "d", .interval_secs = 1, .grace_secs = 1 },
	};
	struct plan p;
	ck_assert(plan_make(l.v, l.n, hb, 4, 1790000000, &p));
	ck_assert_int_eq(p.n, 7);
	ck_assert_int_eq(p.v[0].kind, ACT_CREATE); /* a: the union */
	ck_assert_int_eq(p.v[0].njobs, 2);
	ck_assert_int_eq(p.v[0].interval, 3600);
	ck_assert_int_eq(p.v[0].grace, 460);
	ck_assert_int_eq(p.v[1].kind, ACT_UNMONITORED);
	ck_assert_int_eq(p.v[2].kind, ACT_OK);      /* b */
	ck_assert_int_eq(p.v[3].kind, ACT_UPDATE);  /* c */
	ck_assert_int_eq(p.v[3].old_interval, 86400);
	ck_assert_int_eq(p.v[3].interval, 3600);
	ck_assert_int_eq(p.v[3].old_grace, -1);
	ck_assert_int_eq(p.v[4].kind, ACT_SKIP);    /* d: two of them */
	ck_assert_int_eq(p.v[5].kind, ACT_SKIP);    /* e: no place */
	ck_assert(strstr(p.v[5].why, "no place"));
	ck_assert_int_eq(p.v[6].kind, ACT_SKIP);    /* f: @reboot */
	ck_assert(p.changes);
	plan_free(&p);
	found_list_free(&l);
}
END_TEST

START_TEST(plan_without_changes)
{
	struct found_list l = { 0 };
	job(&l, "a", "@daily", -1, TOKEN_TO_CONFIG);
	job(&l, NULL, "@daily", -1, TOKEN_TO_CONFIG);
	struct heartbeat hb[] = {
		{ .id = "1", .name = "a", .interval_secs = 86400, .grace_secs = 300 },
	};
	struct plan p;
	ck_assert(plan_make(l.v, l.n, hb, 1, 1790000000, &p));
	ck_assert_int_eq(p.v[0].kind, ACT_OK);
	ck_assert(!p.changes);
	plan_free(&p);
	found_list_free(&l);
}
END_TEST

START_TEST(plan_skips_a_line_its_scheduler_refuses)
{
	struct found_list l = { 0 };
	job(&l, NULL, "@reboot", -1, TOKEN_TO_CONFIG);
	job(&l, NULL, "@daily", -1, TOKEN_TO_CONFIG);
	struct plan p;
	ck_assert(plan_make(l.v, l.n, NULL, 0, 1790000000, &p));
	ck_assert_int_eq(p.n, 2);
	ck_assert_int_eq(p.v[0].kind, ACT_SKIP);
	ck_assert_int_eq(p.v[1].kind, ACT_UNMONITORED);
	ck_assert(!p.changes);
	plan_free(&p);
	found_list_free(&l);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sync");
	TCase *t = tcase_create("sync");
	tcase_add_loop_test(t, crontab_lines, 0,
			    sizeof cron_cases / sizeof *cron_cases);
	tcase_add_loop_test(t, hbrun_in_a_command, 0,
			    sizeof inv_cases / sizeof *inv_cases);
	tcase_add_test(t, shell_text_into_commands);
	tcase_add_test(t, hbrun_anywhere_in_a_shell_line);
	tcase_add_test(t, execstart_words);
	tcase_add_test(t, unit_files_as_systemd_reads_them);
	tcase_add_test(t, timer_triggers_share_one_list);
	tcase_add_loop_test(t, template_names, 0,
			    sizeof template_cases / sizeof *template_cases);
	tcase_add_loop_test(t, dash_parents, 0,
			    sizeof dash_cases / sizeof *dash_cases);
	tcase_add_loop_test(t, specifiers_of_a_name, 0,
			    sizeof specifier_cases / sizeof *specifier_cases);
	tcase_add_test(t, enabled_template_instances);
	tcase_add_test(t, dropins_of_prefixes_and_the_type);
	tcase_add_loop_test(t, time_spans, 0,
			    sizeof span_cases / sizeof *span_cases);
	tcase_add_loop_test(t, config_edit_keeps_every_byte, 0,
			    sizeof edit_cases / sizeof *edit_cases);
	tcase_add_test(t, config_edit_refuses_odd_tokens);
	tcase_add_test(t, cronjob_manifests);
	tcase_add_test(t, plan_one_heartbeat_per_name);
	tcase_add_test(t, plan_without_changes);
	tcase_add_test(t, plan_skips_a_line_its_scheduler_refuses);
	suite_add_tcase(s, t);
	return s;
}
