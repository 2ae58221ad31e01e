/* Files: finding and reading the INI config, reading token files, and the
 * permission rules for files that hold a credential; and the settings
 * loaded from every source. */
#ifndef HBRUN_CONFIG_H
#define HBRUN_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

#include "settings.h"

/* What may be done with a file holding a credential. */
enum trust {
	TRUST_OK,
	TRUST_READABLE,  /* readable by group or others: use, with a warning */
	TRUST_WRITABLE,  /* writable by group or others: do not use */
	TRUST_FOREIGN,   /* owned by another user than the caller or root */
};
enum trust file_trust(mode_t mode, uid_t owner, uid_t caller);

/* The config file to read: CONFIG (-c), else $HBRUN_CONFIG, else the
 * search list.  *EXPLICIT tells whether it was named rather than searched
 * for.  Returns a malloc'd path, or NULL when no candidate exists.  A file
 * of the search that the caller may not read (root's /etc/hbrun.conf kept
 * 0600, seen by another user) is not that caller's file: it is passed over
 * as if absent, and *PASSED_OVER (when not NULL) gets its malloc'd path. */
char *config_find(const char *config, bool *explicit, char **passed_over);

/* Read the config file into GLOBAL and (section [JOB]) JOB_LAYER, with a
 * warning for each problem; the job always runs whatever the file holds.
 * CONFIG_UNUSABLE: a file was named or found but cannot be used (missing
 * when named, not a regular file, untrusted, too large, a NUL byte): the
 * layers stay empty, and no request may be sent at all. */
enum config_result { CONFIG_NONE, CONFIG_USED, CONFIG_UNUSABLE };
enum config_result config_load(const char *config, const char *job,
			       struct layer *global, struct layer *job_layer);

/* The token in the first line of PATH (relative to BASE when relative and
 * BASE is set), whitespace trimmed; NULL with a warning when unusable. */
char *token_file_read(const char *path, const char *base);

/* Take the token from layer L: its token, else its token_file (read and
 * checked).  Sets out->token, or leaves it NULL with a warning. */
void settings_resolve_token(const struct layer *l, struct settings *out);

/* Everything: environment, config file, merge, token.  CLI is the command
 * line's layer; JOB and CONFIG the -j and -c arguments (or NULL). */
void settings_load(struct settings *out, struct layer layers[],
		   const char *job, const char *config);

#endif
