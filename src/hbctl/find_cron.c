#include "find_cron.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

#define BLANKS " \t"

static char *skip_blanks(char *s)
{
	return s + strspn(s, BLANKS);
}

/* The next field of *S, NUL-ended in place; NULL when none is left. */
static char *next_field(char **s)
{
	char *f = skip_blanks(*s);
	if (!*f)
		return NULL;
	char *end = f + strcspn(f, BLANKS);
	if (*end)
		*end++ = '\0';
	*s = end;
	return f;
}

static void unquote(char **s)
{
	size_t n = strlen(*s);
	if (n >= 2 && ((*s)[0] == '"' || (*s)[0] == '\'') &&
	    (*s)[n - 1] == (*s)[0]) {
		(*s)[n - 1] = '\0';
		++*s;
	}
}

static void trim_end(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && strchr(BLANKS "\r\n", s[n - 1]))
		s[--n] = '\0';
}

/* NAME = VALUE: a name without blanks (or quoted), then '='.  Nothing of
 * the line is changed until it is known to be one. */
static bool variable(char *s, struct cron_line *out)
{
	char *eq = strchr(s, '=');
	if (!eq)
		return false;
	char *name = s;
	size_t len = (size_t)(eq - s);
	while (len > 0 && strchr(BLANKS "\r\n", name[len - 1]))
		len--;
	if (len >= 2 && (name[0] == '"' || name[0] == '\'') &&
	    name[len - 1] == name[0]) {
		name++;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++)
		if (strchr(BLANKS "\r\n", name[i]))
			return false;
	if (len == 0)
		return false;
	name[len] = '\0';
	char *value = skip_blanks(eq + 1);
	trim_end(value);
	unquote(&value);
	out->kind = CRON_VARIABLE;
	out->name = name;
	out->value = value;
	return true;
}

/* The command up to its first unescaped %: the rest is its input. */
static void cut_at_percent(char *cmd)
{
	char *w = cmd;
	for (char *r = cmd; *r; r++) {
		if (*r == '\\' && r[1] == '%') {
			*w++ = *++r;
			continue;
		}
		if (*r == '%')
			break;
		*w++ = *r;
	}
	*w = '\0';
}

static void bad(struct cron_line *out, const char *why)
{
	out->kind = CRON_BAD;
	out->why = why;
}

/* The schedule fields: an @word, or five fields. */
static bool entry_when(char **s, struct cron_line *out)
{
	char *f = next_field(s);
	if (!f) {
		bad(out, "no time fields");
		return false;
	}
	if (f[0] == '@') {
		snprintf(out->expr, sizeof out->expr, "%s", f);
		return true;
	}
	size_t used = 0;
	for (int i = 0; i < 5; i++, f = NULL) {
		if (!f && !(f = next_field(s))) {
			bad(out, "fewer than five time fields");
			return false;
		}
		int n = snprintf(out->expr + used, sizeof out->expr - used,
				 "%s%s", i ? " " : "", f);
		if (n < 0 || (size_t)n >= sizeof out->expr - used) {
			bad(out, "time fields too long");
			return false;
		}
		used += (size_t)n;
	}
	return true;
}

void cron_line_read(char *line, bool user_field, struct cron_line *out)
{
	memset(out, 0, sizeof *out);
	trim_end(line);
	char *s = skip_blanks(line);
	if (!*s || *s == '#')
		return;
	if (variable(s, out))
		return;
	if (!entry_when(&s, out))
		return;
	if (user_field && !(out->user = next_field(&s))) {
		bad(out, "no user field");
		return;
	}
	char *cmd = skip_blanks(s);
	cut_at_percent(cmd);
	if (!*skip_blanks(cmd)) {
		bad(out, "no command");
		return;
	}
	out->kind = CRON_ENTRY;
	out->command = cmd;
}

/* The variables of a crontab that sync reads: they hold for the entries
 * after them, as cron gives them to those commands. */
struct cron_vars {
	char *tz;          /* CRON_TZ */
	char *config;      /* HBRUN_CONFIG */
	bool token;        /* HBRUN_TOKEN set */
};

static bool cron_variable(const struct cron_line *c, struct cron_vars *v)
{
	const char *value = *c->value ? c->value : NULL;
	if (strcmp(c->name, "CRON_TZ") == 0)
		return found_set(&v->tz, value);
	if (strcmp(c->name, "HBRUN_CONFIG") == 0)
		return found_set(&v->config, value);
	if (strcmp(c->name, "HBRUN_TOKEN") == 0)
		v->token = value != NULL;
	return true;
}

static bool cron_entry(const struct cron_line *c, const struct cron_vars *v,
		       const char *user, const char *path, long line,
		       struct found_list *l)
{
	struct found_job *j = found_add(l, FOUND_UNMONITORED, path, line);
	if (!j || !found_set(&j->command, c->command) ||
	    !strv_add(&j->exprs, c->expr) || !found_set(&j->tz, v->tz) ||
	    !found_set(&j->user, c->user ? c->user : user) ||
	    !found_from_shell(j, c->command))
		return false;
	if (j->kind != FOUND_JOB && j->kind != FOUND_NO_NAME)
		return true;
	j->token_given |= v->token;
	return j->config || found_set(&j->config, v->config);
}

static bool cron_lines(FILE *f, const char *path, bool user_field,
		       const char *user, struct found_list *l)
{
	char *buf = NULL;
	struct cron_vars v = { 0 };
	size_t cap = 0;
	long line = 0;
	bool ok = true;
	while (ok && getline(&buf, &cap, f) >= 0) {
		struct cron_line c;
		line++;
		cron_line_read(buf, user_field, &c);
		if (c.kind == CRON_VARIABLE)
			ok = cron_variable(&c, &v);
		else if (c.kind == CRON_ENTRY)
			ok = cron_entry(&c, &v, user, path, line, l);
		else if (c.kind == CRON_BAD) {
			struct found_job *j = found_add(l, FOUND_UNREADABLE,
							path, line);
			ok = j && found_set(&j->why, c.why);
		}
	}
	free(buf);
	free(v.tz);
	free(v.config);
	return ok;
}

bool find_cron_file(const char *path, bool user_field, const char *user,
		    struct found_list *l)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		msg_warn("sync: cannot read %s: %s", path, strerror(errno));
		return true;
	}
	bool ok = cron_lines(f, path, user_field, user, l);
	fclose(f);
	return ok;
}

/* cron reads the names run-parts would: letters, digits, _ and -. */
static bool cron_takes(const char *name)
{
	return *name && strspn(name, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
			== strlen(name);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool cron_dir(const char *dir, bool user_field, struct found_list *l)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		if (errno != ENOENT)
			msg_warn("sync: cannot read %s: %s", dir,
				 strerror(errno));
		return true;
	}
	bool ok = true;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[4096];
		if (ok && cron_takes(name) &&
		    snprintf(path, sizeof path, "%s/%s", dir, name) <
			    (int)sizeof path) {
			ok = find_cron_file(path, user_field,
					    user_field ? NULL : name, l);
		}
		free(names[i]);
	}
	free(names);
	return ok;
}

bool find_cron_default(struct found_list *l)
{
	if (access("/etc/crontab", F_OK) == 0 &&
	    !find_cron_file("/etc/crontab", true, NULL, l))
		return false;
	return cron_dir("/etc/cron.d", true, l) &&
	       cron_dir("/var/spool/cron/crontabs", false, l);
}
