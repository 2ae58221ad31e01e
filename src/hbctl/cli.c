#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "msg.h"
#include "schedule.h"
#include "url.h"
#include "secret.h"
#include "version.h"

enum {
	OPT_API_KEY = 0x100,
	OPT_API_URL,
	OPT_JSON,
	OPT_DEADLINE,
	OPT_CACERT,
	OPT_ALLOW_HTTP,
	OPT_NAME,
	OPT_INTERVAL,
	OPT_GRACE,
	OPT_LIMIT,
	OPT_CRONTAB,
	OPT_CRONTAB_USER,
	OPT_UNITS,
	OPT_MANIFEST,
	OPT_APPLY,
	OPT_TZ,
	OPT_COUNT,
	OPT_AFTER,
	OPT_SCHEDULE,
};

/* '+': the command and everything after it are the command's. */
static const char global_short[] = "+:c:hV";

static const struct option global_options[] = {
	{ "api-key", required_argument, NULL, OPT_API_KEY },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "allow-http", no_argument, NULL, OPT_ALLOW_HTTP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

#define HELP_OPTION { "help", no_argument, NULL, 'h' }
#define END_OPTIONS { NULL, 0, NULL, 0 }

static const struct option create_options[] = {
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "tz", required_argument, NULL, OPT_TZ },
	HELP_OPTION, END_OPTIONS,
};
static const struct option update_options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "tz", required_argument, NULL, OPT_TZ },
	HELP_OPTION, END_OPTIONS,
};
static const struct option pings_options[] = {
	{ "limit", required_argument, NULL, OPT_LIMIT },
	HELP_OPTION, END_OPTIONS,
};
static const struct option plain_options[] = { HELP_OPTION, END_OPTIONS };
static const struct option sync_options[] = {
	{ "crontab", required_argument, NULL, OPT_CRONTAB },
	{ "crontab-user", no_argument, NULL, OPT_CRONTAB_USER },
	{ "units", required_argument, NULL, OPT_UNITS },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "apply", no_argument, NULL, OPT_APPLY },
	HELP_OPTION, END_OPTIONS,
};
static const struct option next_options[] = {
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "after", required_argument, NULL, OPT_AFTER },
	HELP_OPTION, END_OPTIONS,
};

struct command_def {
	const char *name;
	enum hbctl_command command;
	const char *operand; /* "NAME", "ID", "TOKEN", or NULL: none */
	const struct option *options;
	const char *synopsis; /* the words after the command's name */
	const char *help;     /* what it does, then its options */
};

#define HELP_LINE "  -h, --help           show this help and exit\n"
#define SCHEDULE_HELP \
	"      --schedule EXPR  the interval is the longest gap of EXPR, a cron\n" \
	"                       expression or a systemd calendar event (several\n" \
	"                       separated by ';'); not with --interval\n" \
	"      --tz ZONE        EXPR's zone, an IANA name (default: local)\n"

static const struct command_def commands[] = {
	{ "create", CMD_CREATE, "NAME", create_options,
	  "NAME [--interval SECS | --schedule EXPR [--tz ZONE]] [--grace SECS]",
	  "Create a heartbeat and print its id, its token and the URL to ping.\n"
	  "An alert is raised when no ping came for the interval plus the grace.\n\n"
	  "      --interval SECS  pings are expected every SECS seconds, at least 60\n"
	  "                       (default 3600)\n"
	  SCHEDULE_HELP
	  "      --grace SECS     lateness allowed before an alert (default 300)\n"
	  "The server judges how long either may be.\n" HELP_LINE },
	{ "ensure", CMD_ENSURE, "NAME", create_options,
	  "NAME [--interval SECS | --schedule EXPR [--tz ZONE]] [--grace SECS]",
	  "Make sure one heartbeat named NAME exists, with the values given, and\n"
	  "print it as 'get' does: created (with create's defaults) when there is\n"
	  "none; when there is one, only the values given that differ are changed,\n"
	  "and nothing is sent when none does; a value not given is left as it is.\n"
	  "More than one heartbeat named NAME: exit 1, nothing changed.  With\n"
	  "--json, the heartbeat as JSON:\n"
	  "  hbctl --json ensure backup --interval 86400 | jq -r .token\n"
	  "Without --interval or --schedule, the schedule, tz, timeout and\n"
	  "ping_deadline of the config file's section [NAME] (the job's) are read:\n"
	  "the interval is its schedule's longest gap, the grace (unless given)\n"
	  "timeout + ping_deadline, or 300 without a timeout.\n\n"
	  "      --interval SECS  pings are expected every SECS seconds, at least 60\n"
	  SCHEDULE_HELP
	  "      --grace SECS     lateness allowed before an alert\n" HELP_LINE },
	{ "list", CMD_LIST, NULL, plain_options, "",
	  "List every heartbeat, as a table.\n\n" HELP_LINE },
	{ "get", CMD_GET, "ID", plain_options, "ID",
	  "Show one heartbeat, its token and ping URL included.\n\n" HELP_LINE },
	{ "update", CMD_UPDATE, "ID", update_options,
	  "ID [--name NAME] [--interval SECS | --schedule EXPR [--tz ZONE]] [--grace SECS]",
	  "Change a heartbeat; only the values given are sent.\n\n"
	  "      --name NAME      a new name\n"
	  "      --interval SECS  a new interval, at least 60\n"
	  SCHEDULE_HELP
	  "      --grace SECS     a new grace\n" HELP_LINE },
	{ "pause", CMD_PAUSE, "ID", plain_options, "ID",
	  "Pause a heartbeat: no alerts until it is resumed (for maintenance).\n"
	  "Succeeds only when the server shows the heartbeat paused.\n\n"
	  HELP_LINE },
	{ "resume", CMD_RESUME, "ID", plain_options, "ID",
	  "Resume a paused heartbeat: its alerts are back.  Succeeds only when the\n"
	  "server shows the heartbeat no longer paused.\n\n" HELP_LINE },
	{ "delete", CMD_DELETE, "ID", plain_options, "ID",
	  "Delete a heartbeat; pings with its token are refused from then on.\n\n"
	  HELP_LINE },
	{ "pings", CMD_PINGS, "ID", pings_options, "ID [--limit N]",
	  "Show the ping history of a heartbeat, newest first.\n\n"
	  "      --limit N        at most N pings, 1-100 (default 50)\n" HELP_LINE },
	{ "ping", CMD_PING, "TOKEN", plain_options, "TOKEN",
	  "Ping the heartbeat with TOKEN once, as hbrun does when a job succeeded\n"
	  "(with hbrun's retries).  No API key is needed: the token is the\n"
	  "credential.\n\n" HELP_LINE },
	{ "sync", CMD_SYNC, NULL, sync_options,
	  "[--apply] [--crontab FILE [--crontab-user]] [--units DIR] "
	  "[--manifest FILE]",
	  "Find every scheduled job that runs 'hbrun -j NAME' and make the heartbeat\n"
	  "NAME match its schedule: create it, or change the interval and grace that\n"
	  "differ; never delete.  Without --apply, print the plan and change nothing:\n"
	  "exit 0 when nothing would change, 6 when something would.  With --apply,\n"
	  "carry it out; a created heartbeat's token goes where the job reads it.\n"
	  "Sources, when none is named: /etc/crontab, /etc/cron.d, the users'\n"
	  "crontabs, and the systemd timers of the system's unit folders.\n\n"
	  "      --crontab FILE   a crontab (repeatable); with a user field unless\n"
	  "      --crontab-user   the crontabs named are users' crontabs\n"
	  "      --units DIR      a folder of systemd units (repeatable)\n"
	  "      --manifest FILE  Kubernetes CronJob manifests, YAML (repeatable;\n"
	  "                       - is standard input):\n"
	  "  kubectl get cronjobs -A -o yaml | hbctl sync --manifest -\n"
	  "      --apply          carry the plan out\n" HELP_LINE },
	{ "next", CMD_NEXT, "EXPR", next_options, "EXPR [--tz ZONE] [--count N] [--after TIME]",
	  "Print the next due times of a schedule, one a line in RFC 3339 with the\n"
	  "zone's offset (and six digits of a second's fraction, where a calendar\n"
	  "event has one).  EXPR is a cron expression (five fields or an @word) or a\n"
	  "systemd calendar event; daylight saving as the scheduler that runs it\n"
	  "would have it (see hbctl(1)).  Needs no API key and sends nothing.\n\n"
	  "      --tz ZONE        the zone (an IANA name) of an EXPR that names none\n"
	  "                       (default: the local zone)\n"
	  "      --count N        how many, 1-1000 (default 5)\n"
	  "      --after TIME     after TIME, in RFC 3339 (default: now)\n" HELP_LINE },
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(void)
{
	printf("Usage: hbctl [OPTION]... COMMAND [ARG]...\n"
	       "Manage Tickstem heartbeats, the ones hbrun pings.\n\n"
	       "Commands:\n"
	       "  create NAME [--interval SECS | --schedule EXPR [--tz ZONE]] [--grace SECS]\n"
	       "                       new heartbeat: prints its id, token and ping URL\n"
	       "  ensure NAME [--interval SECS | --schedule EXPR [--tz ZONE]] [--grace SECS]\n"
	       "                       the heartbeat NAME exists, with these values\n"
	       "  list                 all heartbeats\n"
	       "  get ID               one heartbeat\n"
	       "  update ID [--name NAME] [--interval SECS | --schedule EXPR [--tz ZONE]]\n"
	       "            [--grace SECS]\n"
	       "                       change a heartbeat\n"
	       "  pause ID             suppress its alerts\n"
	       "  resume ID            restore its alerts\n"
	       "  delete ID            delete a heartbeat\n"
	       "  pings ID [--limit N] ping history, newest first\n"
	       "  ping TOKEN           one ping, with hbrun's retries\n"
	       "  sync [--apply] [SOURCES]\n"
	       "                       heartbeats for every scheduled job\n"
	       "  next EXPR [--tz ZONE] [--count N] [--after TIME]\n"
	       "                       a schedule's next due times\n"
	       "'hbctl COMMAND --help' tells more of each.\n\n"
	       "Options (before COMMAND):\n"
	       "      --api-key KEY    API key (else TICKSTEM_API_KEY, else api_key in the\n"
	       "                       config file)\n"
	       "      --api-url URL    API base (default %s)\n"
	       "  -c, --config FILE    config file to read instead of the default search\n"
	       "      --json           print the API's JSON reply as it came\n"
	       "      --deadline SECS  limit of a command's requests, retries included\n"
	       "                       (default %g)\n"
	       "      --cacert FILE    extra CA bundle to trust\n"
	       "      --allow-http     permit plain http:// to a host that is not loopback\n"
	       "  -h, --help           show this help and exit\n"
	       "  -V, --version        show the version and exit\n\n"
	       "Environment: TICKSTEM_API_KEY, HBRUN_API_URL, HBRUN_CONFIG.\n"
	       "Exit status: 0 done, 1 failure (network, server, unexpected reply),\n"
	       "2 usage or invalid value (nothing sent), 3 unauthorized (API key),\n"
	       "4 heartbeat limit of the plan reached, 5 not found, 6 sync would\n"
	       "change something.\n",
	       DEFAULT_API_URL, HBCTL_DEADLINE);
}

static void command_usage(const struct command_def *d)
{
	printf("Usage: hbctl [OPTION]... %s%s%s\n%s", d->name,
	       *d->synopsis ? " " : "", d->synopsis, d->help);
}

static const struct command_def *command_named(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static bool is_global_option(const char *word)
{
	size_t len = strcspn(word, "=");
	if (strncmp(word, "--", 2) != 0)
		return false;
	for (const struct option *o = global_options; o->name; o++)
		if (strlen(o->name) == len - 2 &&
		    strncmp(o->name, word + 2, len - 2) == 0)
			return true;
	return false;
}

/* After getopt returned '?' or ':' for WORD, say what is wrong. */
static enum hbctl_parsed bad_option(const char *word, int opt,
				    const char *command)
{
	char help[40] = "hbctl --help";
	if (command)
		snprintf(help, sizeof help, "hbctl %s --help", command);
	/* Up to any '=': "--api-key=KEY" in the wrong place must not show
	 * the key. */
	int len = (int)strcspn(word, "=");
	if (opt == ':')
		msg_error("option '%.*s' needs an argument (try '%s')", len,
			  word, help);
	else if (command && is_global_option(word))
		msg_error("'%.*s' is an option of hbctl's own: put it before "
			  "'%s' (try 'hbctl --help')", len, word, command);
	else if (optopt)
		msg_error("unknown option '-%c' (try '%s')", optopt, help);
	else
		msg_error("unknown option '%.*s' (try '%s')", len, word, help);
	return HBCTL_USAGE;
}

static const char *option_name(const struct option *options, int opt)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* The value given is not repeated: in the wrong place it may be the key. */
static enum hbctl_parsed bad_value(const char *option, const char *want)
{
	msg_error("invalid value for --%s: %s", option, want);
	return HBCTL_USAGE;
}

/* A whole number in [MIN, MAX]. */
static bool whole_in(const char *s, int min, int max, int *out)
{
	int v;
	if (!parse_count(s, max, &v) || v < min)
		return false;
	*out = v;
	return true;
}

static enum hbctl_parsed take_global(int opt, struct hbctl_args *a)
{
	switch (opt) {
	case OPT_API_KEY:
		/* The key is never shown, not even as a bad value. */
		if (layer_set(a->layer, "api_key", optarg) != SET_OK)
			return bad_value("api-key", "empty");
		memset(optarg, '*', strlen(optarg));
		break;
	case OPT_API_URL:
		if (layer_set(a->layer, "api_url", optarg) != SET_OK)
			return bad_value("api-url", "empty");
		break;
	case OPT_CACERT:
		if (layer_set(a->layer, "cacert", optarg) != SET_OK)
			return bad_value("cacert", "empty");
		break;
	case OPT_DEADLINE:
		if (!parse_seconds(optarg, &a->deadline))
			return bad_value("deadline",
					 "seconds above 0, at most 86400");
		break;
	case 'c': a->config = optarg; break;
	case OPT_JSON: a->json = true; break;
	case OPT_ALLOW_HTTP: layer_set(a->layer, "allow_http", "true"); break;
	case 'h': usage(); return HBCTL_EXIT_OK;
	case 'V': printf("hbctl %s\n", HBRUN_VERSION); return HBCTL_EXIT_OK;
	}
	return HBCTL_RUN;
}

static bool push(const char ***list, size_t *n, const char *value)
{
	const char **v = realloc(*list, (*n + 1) * sizeof *v);
	if (!v)
		return false;
	v[(*n)++] = value;
	*list = v;
	return true;
}

/* sync's sources: each a file or folder, never empty. */
static enum hbctl_parsed sync_source(int opt, struct hbctl_args *a)
{
	struct sync_sources *s = &a->sync;
	const char *name = opt == OPT_CRONTAB ? "crontab"
			 : opt == OPT_UNITS ? "units" : "manifest";
	if (!*optarg)
		return bad_value(name, "a file name cannot be empty");
	bool ok = opt == OPT_CRONTAB ? push(&s->crontab, &s->ncrontab, optarg)
		: opt == OPT_UNITS ? push(&s->units, &s->nunits, optarg)
				   : push(&s->manifest, &s->nmanifest, optarg);
	if (!ok) {
		msg_error("out of memory");
		return HBCTL_USAGE;
	}
	return HBCTL_RUN;
}

static enum hbctl_parsed take_command_option(int opt, const struct command_def *d,
					     struct hbctl_args *a)
{
	const char *name = option_name(d->options, opt);
	switch (opt) {
	case OPT_NAME:
		if (!*optarg)
			return bad_value(name, "a name cannot be empty");
		a->name = optarg;
		break;
	/* Only the lower ends are hbctl's: how long an interval or a grace
	 * may be is the server's to say, and it says so in its refusal. */
	case OPT_INTERVAL:
		if (!whole_in(optarg, INTERVAL_MIN, INT_MAX, &a->interval))
			return bad_value(name, "whole seconds, at least 60");
		break;
	case OPT_GRACE:
		if (!whole_in(optarg, 0, INT_MAX, &a->grace))
			return bad_value(name, "whole seconds, at least 0");
		break;
	case OPT_LIMIT:
		if (!whole_in(optarg, 1, LIMIT_MAX, &a->limit))
			return bad_value(name, "a whole number from 1 to 100");
		break;
	case OPT_CRONTAB:
	case OPT_UNITS:
	case OPT_MANIFEST:
		return sync_source(opt, a);
	case OPT_CRONTAB_USER: a->sync.crontab_user = true; break;
	case OPT_APPLY: a->sync.apply = true; break;
	case OPT_TZ:
		if (!*optarg)
			return bad_value(name, "an IANA zone name, as Europe/Berlin");
		a->tz = optarg;
		break;
	case OPT_SCHEDULE:
		if (!*optarg)
			return bad_value(name, "a cron expression or a calendar event");
		a->schedule = optarg;
		break;
	case OPT_COUNT:
		if (!whole_in(optarg, 1, COUNT_MAX, &a->count))
			return bad_value(name, "a whole number from 1 to 1000");
		break;
	case OPT_AFTER:
		if (schedule_parse_time(optarg, &a->after) < 0)
			return bad_value(name,
					 "a time in RFC 3339, as 2026-12-08T09:00:00+01:00");
		a->after_set = true;
		break;
	case 'h':
		command_usage(d);
		return HBCTL_EXIT_OK;
	}
	return HBCTL_RUN;
}

/* The operand: exactly one where the command takes one, else none. */
static enum hbctl_parsed take_operands(const struct command_def *d,
				       char **words, int count,
				       struct hbctl_args *a)
{
	if (!d->operand && count > 0) {
		msg_error("%s takes no operand, not '%s' (try 'hbctl %s --help')",
			  d->name, words[0], d->name);
		return HBCTL_USAGE;
	}
	if (!d->operand)
		return HBCTL_RUN;
	if (count != 1) {
		msg_error("%s takes one %s, not %d (try 'hbctl %s --help')",
			  d->name, d->operand, count, d->name);
		return HBCTL_USAGE;
	}
	if (!*words[0]) {
		msg_error("%s: the %s cannot be empty", d->name, d->operand);
		return HBCTL_USAGE;
	}
	/* An ID or token stands in the URL's path as one segment: "." or
	 * ".." would be a step up the path for a server that decodes %2E. */
	if (d->command != CMD_CREATE && d->command != CMD_ENSURE &&
	    d->command != CMD_NEXT && !url_segment_usable(words[0])) {
		msg_error("%s: the %s '%s' cannot stand in a URL", d->name,
			  d->operand, words[0]);
		return HBCTL_USAGE;
	}
	a->operand = strdup(words[0]);
	if (!a->operand) {
		msg_error("out of memory");
		return HBCTL_USAGE;
	}
	/* A token on the command line would show in ps for as long as
	 * hbctl runs; the copy is enough. */
	if (d->command == CMD_PING)
		memset(words[0], '*', strlen(words[0]));
	return HBCTL_RUN;
}

/* '-': operands come back in order as option 1, wherever they stand, and
 * whatever POSIXLY_CORRECT says; "--" ends the options. */
static enum hbctl_parsed parse_command(int argc, char **argv,
				       const struct command_def *d,
				       struct hbctl_args *a)
{
	char **words = calloc((size_t)argc, sizeof *words);
	int count = 0, opt;
	enum hbctl_parsed r = words ? HBCTL_RUN : HBCTL_USAGE;
	optind = 0;
	while (r == HBCTL_RUN && (opt = getopt_long(argc, argv, "-:h",
						    d->options, NULL)) != -1) {
		if (opt == 1)
			words[count++] = optarg;
		else if (opt == '?' || opt == ':')
			r = bad_option(argv[optind - 1], opt, d->name);
		else
			r = take_command_option(opt, d, a);
	}
	while (r == HBCTL_RUN && optind < argc)
		words[count++] = argv[optind++];
	if (r == HBCTL_RUN)
		r = take_operands(d, words, count, a);
	free(words);
	return r;
}

/* Defaults, and what only the whole command line can tell. */
static enum hbctl_parsed finish(struct hbctl_args *a)
{
	if (a->command == CMD_CREATE) {
		if (a->interval < 0 && !a->schedule)
			a->interval = INTERVAL_DEFAULT;
		if (a->grace < 0)
			a->grace = GRACE_DEFAULT;
	}
	if (a->schedule && a->interval >= 0) {
		msg_error("%s: --interval and --schedule cannot both be given (the "
			  "interval is the schedule's longest gap)", a->command_name);
		return HBCTL_USAGE;
	}
	if (a->tz && !a->schedule && a->command != CMD_NEXT && a->command != CMD_ENSURE) {
		msg_error("%s: --tz is the zone of --schedule, which is not given",
			  a->command_name);
		return HBCTL_USAGE;
	}
	if (a->sync.crontab_user && !a->sync.ncrontab) {
		msg_error("sync: --crontab-user says how the crontabs named "
			  "with --crontab read; none is named");
		return HBCTL_USAGE;
	}
	if (a->command == CMD_UPDATE && !a->name && a->interval < 0 &&
	    a->grace < 0 && !a->schedule) {
		msg_error("update: nothing to change (give --name, --interval or "
			  "--grace)");
		return HBCTL_USAGE;
	}
	return HBCTL_RUN;
}

enum hbctl_parsed hbctl_parse(int argc, char **argv, struct hbctl_args *a)
{
	a->deadline = HBCTL_DEADLINE;
	a->interval = a->grace = -1;
	a->limit = LIMIT_DEFAULT;
	a->count = COUNT_DEFAULT;
	opterr = 0;
	optind = 0; /* 0: full reset, so tests may parse more than once */
	int opt;
	while ((opt = getopt_long(argc, argv, global_short, global_options,
				  NULL)) != -1) {
		enum hbctl_parsed r = opt == '?' || opt == ':'
			? bad_option(argv[optind - 1], opt, NULL)
			: take_global(opt, a);
		if (r != HBCTL_RUN)
			return r;
	}
	if (optind >= argc) {
		msg_error("no command given (try 'hbctl --help')");
		return HBCTL_USAGE;
	}
	const struct command_def *d = command_named(argv[optind]);
	if (!d) {
		msg_error("unknown command '%s' (try 'hbctl --help')",
			  argv[optind]);
		return HBCTL_USAGE;
	}
	a->command = d->command;
	a->command_name = d->name;
	enum hbctl_parsed r = parse_command(argc - optind, argv + optind, d, a);
	return r == HBCTL_RUN ? finish(a) : r;
}

void hbctl_args_free(struct hbctl_args *a)
{
	free(a->sync.crontab);
	free(a->sync.units);
	free(a->sync.manifest);
	memset(&a->sync, 0, sizeof a->sync);
	secret_free(a->operand);
	a->operand = NULL;
}

enum hbctl_exit hbctl_exit_of(const struct call_result *r)
{
	if (r->outcome == OUTCOME_SUCCESS)
		return HBCTL_EXIT_DONE;
	if (r->outcome != OUTCOME_REJECTED)
		return HBCTL_EXIT_FAILURE; /* no reply, or retries ran out */
	switch (r->status) {
	case 401: return HBCTL_EXIT_UNAUTHORIZED;
	case 402: return HBCTL_EXIT_QUOTA;
	case 404: return HBCTL_EXIT_NOT_FOUND;
	default: return HBCTL_EXIT_FAILURE;
	}
}

void settings_load_hbctl(struct settings *out, struct layer layers[],
			 const char *config)
{
	settings_from_env(&layers[LAYER_ENV], SETTING_HBCTL);
	/* No job: every section goes unused, so only the global part counts. */
	enum config_result r = config_load(config, NULL, &layers[LAYER_GLOBAL],
					   &layers[LAYER_JOB]);
	/* hbctl speaks to Tickstem only, with the account's key: where the
	 * global part names another service, its api_url and HBRUN_API_URL
	 * (hbrun's, for that service) are another server's; only --api-url
	 * or the default stands. */
	const struct value *service = &layers[LAYER_GLOBAL].v[S_SERVICE];
	if (service->state == VALUE_UNUSABLE ||
	    (service->state == VALUE_SET &&
	     strcasecmp(service->text, "tickstem") != 0)) {
		layer_unset(&layers[LAYER_ENV], S_API_URL);
		layer_unset(&layers[LAYER_GLOBAL], S_API_URL);
	}
	int token_from;
	settings_merge(layers, SETTING_HBCTL, out, &token_from);
	out->no_requests = r == CONFIG_UNUSABLE;
}
