/* Settings: one table names every setting once (its config key, option,
 * environment variable, type, range, default and how it may be shown);
 * the command line, the environment, the config file, the merge, --help
 * and --check all read it.  A source fills a layer; the layers are merged
 * by precedence into struct settings, which the rest of hbrun reads. */
#ifndef HBRUN_SETTINGS_H
#define HBRUN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define DEFAULT_API_URL "https://api.tickstem.dev/v1"
#define DEFAULT_PING_RETRIES 5
#define DEFAULT_PING_TIMEOUT 10.0
#define DEFAULT_PING_DEADLINE 60.0
#define MAX_PING_RETRIES 100
#define MAX_SECONDS 86400.0
#define MAX_TIMEOUT 2678400.0 /* 31 days */
#define STATUS_MAX 255
#define MAX_SEND_OUTPUT 1048576

enum setting_id {
	S_TOKEN,
	S_TOKEN_FILE,
	S_API_URL,
	S_PING_URL,
	S_PING_RETRIES,
	S_PING_TIMEOUT,
	S_PING_DEADLINE,
	S_CACERT,
	S_ALLOW_HTTP,
	S_QUIET,
	S_API_KEY,
	S_TIMEOUT,
	S_KILL_AFTER,
	S_LOCK,
	S_RANDOM_DELAY,
	S_SUCCESS_STATUS,
	S_SERVICE,
	S_START_URL,
	S_FAIL_URL,
	S_METHOD,
	S_SEND_OUTPUT,
	S_SCHEDULE,
	S_TZ,
	S_METRICS_FILE,
	S_MONITOR,
	S_HEADER,
	S_OUTPUT_ON_FAILURE,
	S_COUNT
};

enum setting_type {
	TYPE_STRING,
	TYPE_COUNT,   /* a whole number in [min, max] */
	TYPE_SECONDS, /* a decimal number of seconds in [min, max] */
	TYPE_BOOL,
	TYPE_STATUSES, /* exit statuses 1-255, comma-separated */
	TYPE_CHOICE,  /* one of a list of words; another is set but unusable */
	/* "Name: value" lines, one a use, gathered at each level; one that
	 * is not a header makes the level's whole list unusable */
	TYPE_HEADERS,
};

/* Flags of a setting. */
#define SETTING_HBRUN 0x01    /* read by hbrun */
#define SETTING_HBCTL 0x02    /* read by hbctl */
#define SETTING_SECRET 0x04   /* a credential: never shown; its file private */
#define SETTING_SCRUB 0x08    /* overwritten in argv once copied */
#define SETTING_URL 0x10      /* shown as scheme, host and port only */
#define SETTING_PATH 0x20     /* a file: relative to the config file's folder */
#define SETTING_POSITIVE 0x40 /* a number that must be above min */
/* Job control: an empty or bad value on the command line is a usage
 * error, since running the job without it could do harm (two runs at
 * once, a hung job never stopped). */
#define SETTING_JOBCTL 0x80
/* One job's own: read from the command line and a job's section; in a
 * config file's global part it is ignored with a warning (every job would
 * share it). */
#define SETTING_SECTION 0x100

#define NO_FIELD ((size_t)-1)

struct setting_def {
	const char *key;      /* the config key */
	const char *option;   /* hbrun's long option, or NULL */
	int letter;           /* its short option, or 0 */
	enum setting_type type;
	const char *arg;      /* the option's argument, NULL for a flag */
	const char *env;      /* the environment variable, or NULL */
	double min, max;      /* numbers: the range */
	const char *fallback; /* the default, as text, or NULL */
	unsigned flags;
	size_t field;         /* offset in struct settings, or NO_FIELD */
	const char *help;     /* one line for --help */
	const char *const *choices; /* TYPE_CHOICE: the words, NULL-ended */
};

/* The table, indexed by enum setting_id. */
extern const struct setting_def setting_defs[S_COUNT];

/* The setting whose config key is KEY, or -1. */
int setting_by_key(const char *key);

enum value_state { VALUE_UNSET, VALUE_SET, VALUE_UNUSABLE };

struct value {
	char *text;    /* as given (VALUE_SET), else NULL */
	double number; /* TYPE_COUNT, TYPE_SECONDS; TYPE_BOOL: 0 or 1 */
	enum value_state state;
	int line;      /* the config file's line, 0 elsewhere */
};

/* The settings one source gives. */
struct layer {
	struct value v[S_COUNT];
	char *folder; /* a config file's folder, for relative files */
	char *file;   /* the config file's path, for FILE:LINE */
};

enum { LAYER_CLI, LAYER_ENV, LAYER_JOB, LAYER_GLOBAL, LAYER_COUNT };

struct settings {
	char *token; /* NULL: none found */
	char *api_url;
	char *ping_url; /* NULL: built from api_url */
	char *cacert;
	int ping_retries;
	double ping_timeout;
	double ping_deadline;
	bool allow_http;
	bool quiet;
	bool verbose;
	char *api_key; /* hbctl's; NULL in hbrun */
	double timeout;      /* 0: none */
	double kill_after;   /* 0: never */
	char *lock;          /* NULL: none; relative to the config's folder
				resolved */
	double random_delay; /* 0: none */
	/* Bit N set: exit status N counts as a success (0 always does). */
	unsigned char success_status[(STATUS_MAX + 8) / 8];
	char *service;   /* a preset's name; NULL: tickstem */
	char *start_url; /* templates; NULL: the service's, if any */
	char *fail_url;
	char *method;    /* "GET" or "POST"; NULL: the service's */
	int send_output; /* bytes of output to send; 0: none */
	char *schedule;  /* when the job is due, as text; read only where a
			    request or --check needs it (schedule.h) */
	char *tz;        /* the schedule's zone; NULL: local */
	char *metrics_file; /* rewritten after each run; NULL: none */
	char *monitor;   /* the monitor's name; NULL: none (-j NAME stands in) */
	char *headers;   /* extra header lines, '\n' between; NULL: none */
	/* The environment variable the token came from when no level set
	 * one and the service reads its own (SENTRY_DSN), else NULL. */
	const char *token_env;
	bool output_on_failure; /* the job's output held, written on failure */
	/* Set but unusable at the level that decides: no default stands in,
	 * and nothing that needs the setting is sent. */
	bool unusable[S_COUNT];
	int from[S_COUNT]; /* the deciding layer; -1: the default */
	/* The config file was named or found but cannot be used: it might
	 * have sent the ping elsewhere, so no request is sent at all. */
	bool no_requests;
};

void layer_init(struct layer *l);
/* Forget setting ID of L: unset, as if never given. */
void layer_unset(struct layer *l, int id);
/* Mark setting ID of L set but unusable (read at config LINE). */
void layer_set_unusable(struct layer *l, int id, int line);
void layer_free(struct layer *l);

/* Set setting ID of L to VALUE, read at config LINE (0: elsewhere).
 * Returns SET_OK; SET_UNUSABLE for an empty string, which is then set as
 * unusable: it blocks the levels below and the default; SET_BAD_VALUE for
 * a number or boolean that is malformed or out of range, leaving L as it
 * was (the level below applies); SET_UNKNOWN_CHOICE for a word that is
 * not one of a TYPE_CHOICE's, which is then set as unusable too. */
enum set_result { SET_OK, SET_UNKNOWN_KEY, SET_BAD_VALUE, SET_UNUSABLE,
		  SET_UNKNOWN_CHOICE,
		  /* a header that is not "Name: value": set as unusable */
		  SET_BAD_HEADER };
/* What a warning about an unusable value adds. */
#define UNUSABLE_CONSEQUENCE "no lower level stands in, and nothing that needs it is sent"
enum set_result layer_set_id(struct layer *l, int id, const char *value,
			     int line);
/* The same by config key: SET_UNKNOWN_KEY for a key not in the table. */
enum set_result layer_set(struct layer *l, const char *key, const char *value);

/* Whether KEY names a credential (its file must be kept private). */
bool key_is_secret(const char *key);

/* Value parsers: return false for anything but a whole, in-range value. */
bool parse_count(const char *s, int max, int *out);
bool parse_seconds(const char *s, double *out);
bool parse_bool(const char *s, bool *out);
/* A comma-separated list of exit statuses 1-255 ("24" or "1,24") into the
 * bitmap BITS (may be NULL: only checked); false for anything else, the
 * empty list included. */
bool parse_statuses(const char *s, unsigned char bits[(STATUS_MAX + 8) / 8]);
/* Whether LINE is one header a request may carry: "Name: value", the
 * name of token characters, a value not empty and without a control
 * character (a CR or LF would start another header), and not one that
 * frames the request (Content-Length, Transfer-Encoding, Content-Type). */
bool header_usable(const char *line);
/* Whether exit STATUS counts as a success under S's success_status. */
bool status_is_success(const struct settings *s, int status);

/* Merge LAYERS (LAYER_COUNT of them, highest precedence first) over the
 * defaults, for the settings flagged PROGRAM (SETTING_HBRUN or
 * SETTING_HBCTL).  *TOKEN_FROM gets the layer whose token or token_file
 * decides (-1: none); the token itself is left to settings_resolve_token(). */
void settings_merge(const struct layer layers[], unsigned program,
		    struct settings *out, int *token_from);

/* Read the environment variables of the table's PROGRAM settings into L. */
void settings_from_env(struct layer *l, unsigned program);

void settings_free(struct settings *s);

#endif
