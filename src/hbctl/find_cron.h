/* Crontabs as Debian's cron reads them: /etc/crontab and /etc/cron.d/ files
 * with a user field, the users' crontabs without; variable lines
 * (CRON_TZ= among them), comments, @words, a command up to its first
 * unescaped %, and no continuation lines. */
#ifndef HBCTL_FIND_CRON_H
#define HBCTL_FIND_CRON_H

#include <stdbool.h>

#include "found.h"

enum cron_line_kind { CRON_NOTHING, CRON_VARIABLE, CRON_ENTRY, CRON_BAD };

/* One line, read in place: the pieces point into LINE, which is changed
 * (NULs written).  ENTRY: EXPR (five fields joined by single spaces, or
 * the @word), USER (NULL without a user field), COMMAND (up to its first
 * unescaped %, the \% made %).  VARIABLE: NAME and VALUE, quotes removed.
 * BAD: WHY. */
struct cron_line {
	enum cron_line_kind kind;
	char expr[128];
	const char *user, *command, *name, *value, *why;
};
void cron_line_read(char *line, bool user_field, struct cron_line *out);

/* Every entry of the crontab PATH into L (USER_FIELD: a system crontab;
 * else USER, who owns it, may be NULL).  A file that cannot be read is a
 * warning; false only when memory ran out. */
bool find_cron_file(const char *path, bool user_field, const char *user,
		    struct found_list *l);

/* The default crontabs: /etc/crontab, /etc/cron.d/ files (the names cron
 * takes), and the users' in /var/spool/cron/crontabs (each named after
 * its user).  One that cannot be read is a warning; false only when
 * memory ran out. */
bool find_cron_default(struct found_list *l);

#endif
