/* hbctl's command line: global options, the command, its operand and
 * options, every value checked against its range before anything is sent;
 * the help texts; and hbctl's exit statuses (see hbctl(1)). */
#ifndef HBCTL_CLI_H
#define HBCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "settings.h"

#define HBCTL_DEADLINE 20.0
#define INTERVAL_DEFAULT 3600
#define INTERVAL_MIN 60
#define GRACE_DEFAULT 300
#define LIMIT_DEFAULT 50
#define LIMIT_MAX 100
#define COUNT_DEFAULT 5
#define COUNT_MAX 1000

enum hbctl_command {
	CMD_CREATE,
	CMD_ENSURE,
	CMD_LIST,
	CMD_GET,
	CMD_UPDATE,
	CMD_PAUSE,
	CMD_RESUME,
	CMD_DELETE,
	CMD_PINGS,
	CMD_PING,
	CMD_NEXT,
	CMD_SYNC,
};

/* sync's sources and --apply; each list points into argv. */
struct sync_sources {
	const char **crontab;  /* --crontab FILE */
	size_t ncrontab;
	bool crontab_user;     /* they are users' crontabs: no user field */
	const char **units;    /* --units DIR */
	size_t nunits;
	const char **manifest; /* --manifest FILE, "-" standard input */
	size_t nmanifest;
	bool apply;
};

struct hbctl_args {
	struct layer *layer;  /* --api-key, --api-url, --cacert, --allow-http */
	const char *config;   /* -c FILE */
	bool json;
	double deadline;
	enum hbctl_command command;
	const char *command_name;
	char *operand;        /* NAME, ID or TOKEN; malloc'd */
	const char *name;     /* update --name; NULL: unchanged */
	int interval;         /* create: the default if not given; */
	int grace;            /* ensure, update: -1 when not given */
	int limit;
	struct sync_sources sync;
	/* next, and the schedule of create, ensure and update */
	const char *schedule; /* --schedule, or next's EXPR */
	const char *tz;       /* --tz; NULL: not given */
	int count;            /* next --count */
	bool after_set;       /* next --after */
	int64_t after;        /* microseconds since the epoch */
};

enum hbctl_parsed { HBCTL_RUN, HBCTL_EXIT_OK, HBCTL_USAGE };

/* Parse ARGV into A (whose LAYER the caller provides).  HBCTL_USAGE has
 * said what is wrong; HBCTL_EXIT_OK has printed help or the version.  An
 * API key or a token given on the command line is overwritten in ARGV once
 * copied, so that ps does not show it. */
enum hbctl_parsed hbctl_parse(int argc, char **argv, struct hbctl_args *a);
void hbctl_args_free(struct hbctl_args *a);

enum hbctl_exit {
	HBCTL_EXIT_DONE = 0,
	HBCTL_EXIT_FAILURE = 1,
	HBCTL_EXIT_USAGE = 2,        /* nothing was sent */
	HBCTL_EXIT_UNAUTHORIZED = 3, /* HTTP 401 */
	HBCTL_EXIT_QUOTA = 4,        /* HTTP 402 */
	HBCTL_EXIT_NOT_FOUND = 5,    /* HTTP 404 */
};

/* The one translation of what a call came to into hbctl's exit status:
 * 0 for a 2xx reply; 3, 4 and 5 for a final 401, 402 and 404; else 1. */
enum hbctl_exit hbctl_exit_of(const struct call_result *r);

/* hbctl's settings: the command line (with --api-key), the environment
 * (TICKSTEM_API_KEY as well) and the config file's global part, by the same
 * search and permission rules as hbrun's; no job section, no token. */
void settings_load_hbctl(struct settings *out, struct layer layers[],
			 const char *config);

#endif
