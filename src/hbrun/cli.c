#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "version.h"

/* A setting's option returns OPT_SETTING + its id; the options that are
 * not settings return their letter. */
enum { OPT_SETTING = 0x100, OPT_CHECK = 0x80 };

struct extra {
	struct option option;
	const char *arg, *help;
};

static const struct extra extras[] = {
	{ { "job", required_argument, NULL, 'j' }, "NAME",
	  "take settings from section [NAME] of the config" },
	{ { "config", required_argument, NULL, 'c' }, "FILE",
	  "config file to read instead of the default search" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL,
	  "one line per ping attempt" },
	{ { "check", no_argument, NULL, OPT_CHECK }, NULL,
	  "run nothing, send nothing: show the settings and what would fail" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "show this help and exit" },
	{ { "version", no_argument, NULL, 'V' }, NULL,
	  "show the version and exit" },
};
#define EXTRA_COUNT (sizeof extras / sizeof *extras)

static struct option long_options[S_COUNT + EXTRA_COUNT + 1];
/* '+': stop at the first word that is not an option; it is the job's.
 * ':': report a missing argument apart from an unknown option. */
static char short_options[3 * (S_COUNT + EXTRA_COUNT) + 3];

static bool is_option(const struct setting_def *d)
{
	return d->option && (d->flags & SETTING_HBRUN);
}

static void add_short(char **at, int letter, bool takes_arg)
{
	if (letter >= OPT_CHECK)
		return; /* long only */
	*(*at)++ = (char)letter;
	if (takes_arg)
		*(*at)++ = ':';
}

/* The getopt tables, from the settings table and the extras. */
static void build_options(void)
{
	struct option *o = long_options;
	char *s = short_options;
	*s++ = '+';
	*s++ = ':';
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		if (!is_option(d))
			continue;
		int has = d->arg ? required_argument : no_argument;
		*o++ = (struct option){ d->option, has, NULL, OPT_SETTING + id };
		if (d->letter)
			add_short(&s, d->letter, d->arg != NULL);
	}
	for (size_t i = 0; i < EXTRA_COUNT; i++) {
		*o++ = extras[i].option;
		add_short(&s, extras[i].option.val,
			  extras[i].option.has_arg == required_argument);
	}
	*o = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

static void help_line(int letter, const char *name, const char *arg,
		      const char *help)
{
	char left[40];
	snprintf(left, sizeof left, "%c%c%c --%s%s%s", letter ? '-' : ' ',
		 letter ? letter : ' ', letter ? ',' : ' ', name,
		 arg ? " " : "", arg ? arg : "");
	printf("  %-26s %s\n", left, help);
}

static void usage(void)
{
	printf("Usage: hbrun [OPTION]... [--] COMMAND [ARG]...\n"
	       "       hbrun --check [OPTION]... [[--] COMMAND [ARG]...]\n"
	       "Run COMMAND; when it exits 0, ping its heartbeat so that its "
	       "silence can raise an alert.\n"
	       "hbrun exits as COMMAND did; monitoring problems never change "
	       "that.\n\n");
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		if (!is_option(d))
			continue;
		char help[160];
		if (d->fallback && d->type != TYPE_BOOL)
			snprintf(help, sizeof help, "%s (default %s)", d->help,
				 d->fallback);
		else
			snprintf(help, sizeof help, "%s", d->help);
		help_line(d->letter, d->option, d->arg, help);
	}
	for (size_t i = 0; i < EXTRA_COUNT; i++)
		help_line(extras[i].option.val < OPT_CHECK ?
			  extras[i].option.val : 0, extras[i].option.name,
			  extras[i].arg, extras[i].help);
	printf("\nEnvironment: HBRUN_TOKEN, HBRUN_API_URL, HBRUN_CONFIG.\n"
	       "Exit status: COMMAND's; 124 if it timed out, 75 if the lock "
	       "is held,\n125 if hbrun's own command line or the lock is "
	       "unusable,\n126 if COMMAND cannot be executed, 127 if it is "
	       "not found.\n");
}

/* The setting an option sets, or -1. */
static int setting_of(int opt)
{
	if (opt >= OPT_SETTING && opt < OPT_SETTING + S_COUNT)
		return opt - OPT_SETTING;
	for (int id = 0; id < S_COUNT; id++)
		if (setting_defs[id].letter == opt && is_option(&setting_defs[id]))
			return id;
	return -1;
}

/* Whether the long option spelt WORD ("--name=value", perhaps
 * abbreviated) is one that takes no argument. */
static bool flag_given_a_value(const char *word, size_t len)
{
	const struct option *match = NULL;
	for (const struct option *o = long_options; o->name; o++)
		if (strncmp(o->name, word + 2, len - 2) == 0)
			match = o;
	return match && match->has_arg == no_argument;
}

/* What is wrong with the word getopt stopped at, said without any value
 * given with it: "--tokn=SECRET" may hold a credential. */
static enum cli_result bad_option(char **argv, int opt)
{
	const char *word = argv[optind - 1];
	int len = (int)strcspn(word, "=");
	bool is_long = strncmp(word, "--", 2) == 0;
	if (opt == ':')
		msg_error("option '%.*s' needs an argument (try 'hbrun --help')",
			  len, word);
	else if (is_long && word[len] == '=' && flag_given_a_value(word, (size_t)len))
		msg_error("option '%.*s' takes no value (try 'hbrun --help')",
			  len, word);
	else if (!is_long && optopt > 0 && optopt < OPT_CHECK)
		msg_error("unknown option '-%c' (try 'hbrun --help')", optopt);
	else
		msg_error("unknown option '%.*s' (try 'hbrun --help')", len, word);
	return CLI_USAGE;
}

/* What a value of D must look like, for a usage error that does not repeat
 * the value given (it may be a credential in the wrong place). */
static void expected(const struct setting_def *d, char *buf, size_t size)
{
	switch (d->type) {
	case TYPE_COUNT:
		snprintf(buf, size, "a whole number from %.0f to %.0f", d->min,
			 d->max);
		break;
	case TYPE_SECONDS:
		snprintf(buf, size, "seconds (digits and one point), %s %g, "
			 "at most %.0f", (d->flags & SETTING_POSITIVE) ? "above"
			 : "at least", d->min, d->max);
		break;
	case TYPE_STATUSES:
		snprintf(buf, size, "exit statuses 1-255, comma-separated");
		break;
	default:
		snprintf(buf, size, "see 'hbrun --help'");
	}
}

static enum cli_result take_setting(int id, struct cli *cli)
{
	const struct setting_def *d = &setting_defs[id];
	const char *value = d->arg ? optarg : "true";
	/* Given twice, the lists are not joined: the last one holds. */
	if (id == S_SUCCESS_STATUS &&
	    cli->layer->v[id].state != VALUE_UNSET)
		msg_warn("--%s given more than once: only the last list "
			 "counts", d->option);
	enum set_result r = layer_set_id(cli->layer, id, value, 0);
	/* An empty monitoring value, such as -t "$TOKEN" with TOKEN unset,
	 * must not keep the job from running. */
	if (r == SET_UNUSABLE && (d->flags & SETTING_JOBCTL)) {
		/* Job control is not monitoring: without the lock or the
		 * limit asked for, the job must not run. */
		msg_error("empty value for --%s (try 'hbrun --help')", d->option);
		return CLI_USAGE;
	} else if (r == SET_UNUSABLE) {
		msg_warn("empty value for --%s; " UNUSABLE_CONSEQUENCE,
			 d->option);
	} else if (r == SET_BAD_HEADER) {
		msg_warn("--%s takes 'Name: value' (a name of token characters, "
			 "a value without control characters); no request is "
			 "sent", d->option);
	} else if (r == SET_UNKNOWN_CHOICE) {
		msg_warn("unknown %s for --%s (see 'hbrun --help'); "
			 UNUSABLE_CONSEQUENCE, d->key, d->option);
	} else if (r != SET_OK) {
		char want[100];
		expected(d, want, sizeof want);
		msg_error("invalid value for --%s: %s (try 'hbrun --help')",
			  d->option, want);
		return CLI_USAGE;
	}
	/* The value is copied: overwrite it where it stands, so that
	 * /proc/PID/cmdline does not show it while the job runs. */
	if (d->flags & SETTING_SCRUB)
		memset(optarg, '*', strlen(optarg));
	if (id == S_QUIET)
		cli->verbose = false;
	return CLI_RUN;
}

static enum cli_result take_option(int opt, struct cli *cli)
{
	int id = setting_of(opt);
	if (id >= 0)
		return take_setting(id, cli);
	switch (opt) {
	case 'j':
		/* No section is named by nothing: never [ ] nor the global part. */
		if (optarg[strspn(optarg, " \t")] == '\0') {
			msg_error("empty job name for -j (try 'hbrun --help')");
			return CLI_USAGE;
		}
		cli->job = optarg;
		break;
	case 'c': cli->config = optarg; break;
	case 'v':
		/* The later of -q and -v wins, over quiet in the file too. */
		cli->verbose = true;
		layer_set_id(cli->layer, S_QUIET, "false", 0);
		break;
	case OPT_CHECK: cli->check = true; break;
	case 'h': usage(); return CLI_EXIT_OK;
	case 'V': printf("hbrun %s\n", HBRUN_VERSION); return CLI_EXIT_OK;
	}
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct cli *cli)
{
	int opt;
	if (!long_options[0].name)
		build_options();
	opterr = 0;
	optind = 0; /* 0: full reset, so tests may parse more than once */
	while ((opt = getopt_long(argc, argv, short_options, long_options,
				  NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(argv, opt);
		enum cli_result r = take_option(opt, cli);
		if (r != CLI_RUN)
			return r;
	}
	if (optind >= argc && !cli->check) {
		msg_error("no command to run (try 'hbrun --help')");
		return CLI_USAGE;
	}
	cli->command = argv + optind;
	return CLI_RUN;
}
