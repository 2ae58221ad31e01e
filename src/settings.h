/* Settings: built-in defaults, the environment, the config file's global
 * part and job section, and the command line, merged by precedence. */
#ifndef HBRUN_SETTINGS_H
#define HBRUN_SETTINGS_H

#include <stdbool.h>

#define DEFAULT_API_URL "https://api.tickstem.dev/v1"
#define DEFAULT_PING_RETRIES 5
#define DEFAULT_PING_TIMEOUT 10.0
#define DEFAULT_PING_DEADLINE 60.0
#define MAX_PING_RETRIES 100
#define MAX_SECONDS 86400.0

/* The settings one source gives; unset fields are NULL or negative. */
struct layer {
	char *token;
	char *token_file;
	char *token_base; /* folder a relative token_file is relative to */
	char *api_url;
	char *ping_url;
	char *cacert;
	int ping_retries;
	double ping_timeout;
	double ping_deadline;
	int allow_http; /* -1 unset, else 0 or 1 */
	int quiet;
	char *api_key;  /* hbctl's; hbrun keeps it from everything */
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
	char *api_key; /* hbctl's (settings_load_hbctl); NULL in hbrun */
};

void layer_init(struct layer *l);
void layer_free(struct layer *l);

/* Set KEY (a config key name) to VALUE.  Returns SET_OK, SET_UNKNOWN_KEY or
 * SET_BAD_VALUE.  An "api_key" is kept in the layer for hbctl; hbrun's merge
 * never takes it. */
enum set_result { SET_OK, SET_UNKNOWN_KEY, SET_BAD_VALUE };
enum set_result layer_set(struct layer *l, const char *key, const char *value);

/* Whether KEY names a credential (its file must be kept private). */
bool key_is_secret(const char *key);

/* Value parsers: return false for anything but a whole, in-range value. */
bool parse_count(const char *s, int max, int *out);
bool parse_seconds(const char *s, double *out);
bool parse_bool(const char *s, bool *out);

/* Merge LAYERS (LAYER_COUNT of them, highest precedence first) over the
 * defaults.  *TOKEN_FROM gets the layer whose token or token_file decides
 * (-1: none); the token itself is left to settings_resolve_token(). */
void settings_merge(const struct layer layers[], struct settings *out,
		    int *token_from);

/* Take the token from layer L: its token, else its token_file (read and
 * checked).  Sets out->token, or leaves it NULL with a warning. */
void settings_resolve_token(const struct layer *l, struct settings *out);

/* Read the environment into L. */
void settings_from_env(struct layer *l);

/* Everything: environment, config file, merge, token.  CLI is the command
 * line's layer; JOB and CONFIG the -j and -c arguments (or NULL). */
void settings_load(struct settings *out, struct layer layers[],
		   const char *job, const char *config);
void settings_free(struct settings *s);

/* hbctl's settings: the command line (CLI, with --api-key), the environment
 * (TICKSTEM_API_KEY as well) and the config file's global part, by the same
 * search and permission rules as hbrun's; no job section, no token.  The
 * API key is the first of the command line's, the environment's and the
 * global part's. */
void settings_load_hbctl(struct settings *out, struct layer layers[],
			 const char *config);

#endif
