/* Writing a created heartbeat's token where its job will read it: a line
 * "token = ..." added to section [NAME] of a config file (every other
 * byte kept, the new file renamed over the old), or a new token file.
 * Never into a file the trust rules refuse, never over a token there. */
#ifndef HBCTL_CONF_EDIT_H
#define HBCTL_CONF_EDIT_H

#include <stdbool.h>
#include <stddef.h>

/* Pure: TEXT (LEN bytes) with "token = TOKEN" added to the last section
 * [SECTION], right after its header (with the header's line ending); a
 * section appended where there is none.  *OUT malloc'd, *OUT_LEN its
 * length.  False with *WHY when [SECTION] already holds a token or
 * TOKEN cannot stand in a config line as it is; false with *WHY NULL
 * when memory ran out. */
bool conf_insert(const char *text, size_t len, const char *section,
		 const char *token, char **out, size_t *out_len,
		 const char **why);

/* Whether the config file PATH has a section [SECTION]: -1 no (or the
 * file cannot be read: reading it says why), 0 yes and it holds a token,
 * 1 yes without one.  Silent. */
int conf_section_state(const char *path, const char *section);

/* Add the token to section [SECTION] of the config file PATH, made 0600
 * when absent; false with a line in WHY (never holding the token). */
bool conf_write_token(const char *path, const char *section,
		      const char *token, char *why, size_t size);

/* Make the token file PATH (0600), which must not exist yet. */
bool token_file_write(const char *path, const char *token, char *why,
		      size_t size);

/* Whether PATH's folder exists and PATH could be made or changed by the
 * caller, judged before anything is sent: false with WHY. */
bool conf_writable(const char *path, bool must_be_new, char *why,
		   size_t size);

#endif
