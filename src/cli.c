#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "version.h"

enum {
	OPT_TOKEN_FILE = 0x100,
	OPT_API_URL,
	OPT_PING_URL,
	OPT_PING_RETRIES,
	OPT_PING_TIMEOUT,
	OPT_PING_DEADLINE,
	OPT_CACERT,
	OPT_ALLOW_HTTP,
};

/* '+': stop at the first word that is not an option; it is the job's.
 * ':': report a missing argument apart from an unknown option. */
static const char short_options[] = "+:t:j:c:qvhV";

static const struct option long_options[] = {
	{ "token", required_argument, NULL, 't' },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "job", required_argument, NULL, 'j' },
	{ "config", required_argument, NULL, 'c' },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "ping-url", required_argument, NULL, OPT_PING_URL },
	{ "ping-retries", required_argument, NULL, OPT_PING_RETRIES },
	{ "ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT },
	{ "ping-deadline", required_argument, NULL, OPT_PING_DEADLINE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "allow-http", no_argument, NULL, OPT_ALLOW_HTTP },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: hbrun [OPTION]... [--] COMMAND [ARG]...\n"
	       "Run COMMAND; when it exits 0, ping its heartbeat so that its "
	       "silence can raise an alert.\n"
	       "hbrun exits as COMMAND did; monitoring problems never change "
	       "that.\n\n"
	       "  -t, --token TOKEN        heartbeat token\n"
	       "      --token-file FILE    read the token from FILE's first line\n"
	       "  -j, --job NAME           take settings from section [NAME] of the config\n"
	       "  -c, --config FILE        config file to read instead of the default search\n"
	       "      --api-url URL        API base (default %s)\n"
	       "      --ping-url URL       exact URL to ping; {token} is replaced by the token\n"
	       "      --ping-retries N     retries after the first attempt (default %d)\n"
	       "      --ping-timeout SECS  limit of one attempt (default %g)\n"
	       "      --ping-deadline SECS limit of the whole ping phase (default %g)\n"
	       "      --cacert FILE        extra CA bundle to trust\n"
	       "      --allow-http         permit plain http:// to a host that is not loopback\n"
	       "  -q, --quiet              no messages about monitoring\n"
	       "  -v, --verbose            one line per ping attempt\n"
	       "  -h, --help               show this help and exit\n"
	       "  -V, --version            show the version and exit\n\n"
	       "Environment: HBRUN_TOKEN, HBRUN_API_URL, HBRUN_CONFIG.\n"
	       "Exit status: COMMAND's; 125 if hbrun's own command line is unusable,\n"
	       "126 if COMMAND cannot be executed, 127 if it is not found.\n",
	       DEFAULT_API_URL, DEFAULT_PING_RETRIES, DEFAULT_PING_TIMEOUT,
	       DEFAULT_PING_DEADLINE);
}

static const char *option_name(int opt)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* Options that set a config key take the config file's value rules. */
static const char *key_of(int opt)
{
	switch (opt) {
	case 't': return "token";
	case OPT_TOKEN_FILE: return "token_file";
	case OPT_API_URL: return "api_url";
	case OPT_PING_URL: return "ping_url";
	case OPT_PING_RETRIES: return "ping_retries";
	case OPT_PING_TIMEOUT: return "ping_timeout";
	case OPT_PING_DEADLINE: return "ping_deadline";
	case OPT_CACERT: return "cacert";
	default: return NULL;
	}
}

static enum cli_result bad_option(char **argv, int opt)
{
	const char *word = argv[optind - 1];
	if (opt == ':')
		msg_error("option '%s' needs an argument (try 'hbrun --help')",
			  word);
	else if (optopt)
		msg_error("unknown option '-%c' (try 'hbrun --help')", optopt);
	else
		msg_error("unknown option '%s' (try 'hbrun --help')", word);
	return CLI_USAGE;
}

static enum cli_result take_option(int opt, struct cli *cli)
{
	const char *key = key_of(opt);
	if (key) {
		if (layer_set(cli->layer, key, optarg) != SET_OK) {
			msg_error("invalid value for --%s: '%s' (try 'hbrun "
				  "--help')", option_name(opt),
				  opt == 't' ? "..." : optarg);
			return CLI_USAGE;
		}
		/* The value is copied: overwrite the token where it stands,
		 * so /proc/PID/cmdline does not show it while the job runs. */
		if (opt == 't')
			memset(optarg, '*', strlen(optarg));
		return CLI_RUN;
	}
	switch (opt) {
	case 'j': cli->job = optarg; break;
	case 'c': cli->config = optarg; break;
	case 'q': cli->layer->quiet = 1; break;
	case 'v': cli->verbose = true; break;
	case OPT_ALLOW_HTTP: cli->layer->allow_http = 1; break;
	case 'h': usage(); return CLI_EXIT_OK;
	case 'V': printf("hbrun %s\n", HBRUN_VERSION); return CLI_EXIT_OK;
	}
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct cli *cli)
{
	int opt;
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
	if (optind >= argc) {
		msg_error("no command to run (try 'hbrun --help')");
		return CLI_USAGE;
	}
	cli->command = argv + optind;
	return CLI_RUN;
}
