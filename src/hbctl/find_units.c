#include "find_units.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "unitfile.h"

const char *const units_default_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system", NULL,
};

#define UNIT_MAX_BYTES ((size_t)1 << 20)
#define LIST_MAX 64

struct search {
	const char *const *dirs;
	size_t n;
};

/* The whole file PATH into *TEXT; false (with a warning) when it cannot be
 * read.  A unit linked to /dev/null reads as empty: masked. */
static bool slurp(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > UNIT_MAX_BYTES) {
		if (fd >= 0 && !S_ISCHR(st.st_mode))
			msg_warn("sync: %s is not a unit file", path);
		else if (fd < 0)
			msg_warn("sync: cannot read %s: %s", path,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	*text = malloc((size_t)st.st_size + 1);
	ssize_t got = *text ? read(fd, *text, (size_t)st.st_size) : -1;
	close(fd);
	if (got < 0) {
		free(*text);
		return false;
	}
	*len = (size_t)got;
	return true;
}

static bool load_file(struct unit *u, const char *path)
{
	char *text;
	size_t len;
	if (!slurp(path, &text, &len))
		return true;
	bool ok = unit_parse(u, text, len, path);
	free(text);
	return ok;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int is_conf(const struct dirent *d)
{
	return is_conf_name(d->d_name);
}

/* The drop-in NAME of NAME.d, from the first folder that has it. */
static bool dropin_path(const struct search *s, const char *unit,
			const char *conf, char *path, size_t size)
{
	for (size_t i = 0; i < s->n; i++) {
		snprintf(path, size, "%s/%s.d/%s", s->dirs[i], unit, conf);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* Every drop-in name of UNIT over the folders, once, sorted. */
static bool dropins(const struct search *s, const char *unit, struct unit *u)
{
	struct strv names = { 0 };
	bool ok = true;
	for (size_t i = 0; ok && i < s->n; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/%s.d", s->dirs[i], unit);
		struct dirent **e;
		int n = scandir(dir, &e, is_conf, by_name);
		for (int k = 0; k < n; k++) {
			bool seen = false;
			for (size_t m = 0; m < names.n; m++)
				seen |= strcmp(names.v[m], e[k]->d_name) == 0;
			if (ok && !seen)
				ok = strv_add(&names, e[k]->d_name);
			free(e[k]);
		}
		if (n >= 0)
			free(e);
	}
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, by_string);
	for (size_t m = 0; ok && m < names.n; m++) {
		char path[PATH_MAX];
		if (dropin_path(s, unit, names.v[m], path, sizeof path))
			ok = load_file(u, path);
	}
	strv_free(&names);
	return ok;
}

/* UNIT from the first folder that holds it, then its drop-ins; false only
 * when memory ran out.  *FOUND: whether a folder held it (masked or not). */
static bool unit_load(const struct search *s, const char *unit,
		      struct unit *u, bool *found)
{
	*found = false;
	for (size_t i = 0; i < s->n && !*found; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", s->dirs[i], unit);
		struct stat st;
		if (stat(path, &st) != 0 && lstat(path, &st) != 0)
			continue;
		*found = true;
		if (S_ISCHR(st.st_mode) || st.st_size == 0)
			return true; /* masked: nothing of it runs */
		if (!load_file(u, path))
			return false;
	}
	return !*found || dropins(s, unit, u);
}

/* A token file in the credentials folder (%d/ID, $CREDENTIALS_DIRECTORY/ID)
 * is the file LoadCredential=ID:PATH names. */
static bool credential_source(const struct unit *svc, struct found_job *j)
{
	static const char *const prefixes[] = {
		"%d/", "$CREDENTIALS_DIRECTORY/", "${CREDENTIALS_DIRECTORY}/",
	};
	const char *id = NULL;
	for (size_t i = 0; i < 3 && j->token_file && !id; i++)
		if (strncmp(j->token_file, prefixes[i], strlen(prefixes[i])) == 0)
			id = j->token_file + strlen(prefixes[i]);
	if (!id)
		return true;
	const struct unit_entry *creds[LIST_MAX];
	size_t n = unit_list(svc, "Service", "LoadCredential", creds, LIST_MAX);
	const char *source = NULL;
	for (size_t i = 0; i < n && i < LIST_MAX; i++) {
		const char *v = creds[i]->value;
		size_t len = strcspn(v, ":");
		if (len == strlen(id) && strncmp(v, id, len) == 0 && v[len])
			source = v + len + 1;
	}
	j->token_to = TOKEN_TO_NOWHERE;
	if (!source || source[0] != '/')
		return found_set(&j->dest, "its --token-file is a credential "
				 "that no LoadCredential=ID:/PATH names");
	return found_set(&j->token_file, source);
}

/* The unit's own specifiers in WORD: %n %N %p %i %%; %d stays for
 * credential_source(). */
static char *specifiers(const char *word, const char *unit)
{
	size_t cap = strlen(word) * 2 + strlen(unit) * 4 + 1, n = 0;
	char *out = malloc(cap);
	const char *dot = strrchr(unit, '.'), *at = strchr(unit, '@');
	size_t stem = dot ? (size_t)(dot - unit) : strlen(unit);
	size_t prefix = at && (size_t)(at - unit) < stem ? (size_t)(at - unit) : stem;
	for (const char *p = word; out && *p; p++) {
		const char *add = p;
		size_t len = 1;
		if (*p == '%' && p[1]) {
			switch (*++p) {
			case 'n': add = unit; len = strlen(unit); break;
			case 'N': add = unit; len = stem; break;
			case 'p': add = unit; len = prefix; break;
			case 'i': add = unit + prefix + (prefix < stem);
				  len = stem - prefix - (prefix < stem); break;
			case '%': add = "%"; break;
			default: add = p - 1; len = 2; break;
			}
		}
		if (n + len >= cap)
			break;
		memcpy(out + n, add, len);
		n += len;
	}
	if (out)
		out[n] = '\0';
	return out;
}

/* Environment= of the service as hbrun sees it: HBRUN_CONFIG names the
 * config where no -c does; HBRUN_TOKEN puts the token in the unit. */
static bool service_environment(const struct unit *svc, struct found_job *j)
{
	const struct unit_entry *env[LIST_MAX];
	size_t n = unit_list(svc, "Service", "Environment", env, LIST_MAX);
	bool ok = true;
	for (size_t i = 0; ok && i < n && i < LIST_MAX; i++) {
		struct strv w = { 0 };
		if (!exec_words(env[i]->value, &w))
			continue;
		for (size_t k = 0; ok && k < w.n; k++) {
			if (strncmp(w.v[k], "HBRUN_TOKEN=", 12) == 0 && w.v[k][12])
				j->token_given = true;
			if (strncmp(w.v[k], "HBRUN_CONFIG=", 13) == 0 &&
			    w.v[k][13] && !j->config)
				ok = found_set(&j->config, w.v[k] + 13);
		}
		strv_free(&w);
	}
	return ok;
}

/* The service's commands: the first ExecStart= that runs hbrun decides,
 * else the first, unmonitored. */
static bool service_job(const struct unit *svc, const char *name,
			struct found_job *j)
{
	const struct unit_entry *exec[LIST_MAX];
	size_t n = unit_list(svc, "Service", "ExecStart", exec, LIST_MAX);
	if (n == 0) {
		j->kind = FOUND_UNREADABLE;
		return found_set(&j->why, "its service has no ExecStart=");
	}
	bool ok = true;
	for (size_t i = 0; ok && i < n && i < LIST_MAX; i++) {
		struct strv w = { 0 };
		if (!exec_words(exec[i]->value, &w))
			continue;
		for (size_t k = 0; ok && k < w.n; k++) {
			char *r = specifiers(w.v[k], name);
			ok = r != NULL;
			free(w.v[k]);
			w.v[k] = r;
		}
		ok = ok && found_from_words(j, w.v, w.n) &&
		     (i > 0 && j->kind == FOUND_UNMONITORED
			      ? true : found_set(&j->command, exec[i]->value));
		strv_free(&w);
		if (j->kind != FOUND_UNMONITORED)
			break;
	}
	const struct unit_entry *user = unit_last(svc, "Service", "User");
	return ok && found_set(&j->user, user ? user->value : NULL) &&
	       credential_source(svc, j) &&
	       (j->kind == FOUND_UNMONITORED || service_environment(svc, j));
}

/* The span of KEY in [Timer]: the last one; *OK false when unreadable. */
static long timer_span(const struct unit *t, const char *key, long fallback,
		       struct found_job *j, bool *ok)
{
	const struct unit_entry *e = unit_last(t, "Timer", key);
	long v = fallback;
	if (e && !timespan_seconds(e->value, &v)) {
		j->kind = FOUND_UNREADABLE;
		char why[128];
		snprintf(why, sizeof why, "%s= is not a time span", key);
		*ok = found_set(&j->why, why);
		return -1;
	}
	return v;
}

/* The timer's schedule: its OnCalendar= union, its shortest
 * OnUnitActiveSec=, its delays. */
static bool timer_schedule(const struct unit *t, struct found_job *j)
{
	const struct unit_entry *cal[LIST_MAX], *act[LIST_MAX];
	size_t nc = unit_list(t, "Timer", "OnCalendar", cal, LIST_MAX);
	size_t na = unit_list(t, "Timer", "OnUnitActiveSec", act, LIST_MAX);
	bool ok = true;
	for (size_t i = 0; ok && i < nc && i < LIST_MAX; i++)
		ok = strv_add(&j->exprs, cal[i]->value);
	for (size_t i = 0; ok && i < na && i < LIST_MAX; i++) {
		long v;
		if (!timespan_seconds(act[i]->value, &v) || v <= 0) {
			j->kind = FOUND_UNREADABLE;
			return found_set(&j->why, "OnUnitActiveSec= is not a "
					 "time span");
		}
		if (j->every == 0 || v < j->every)
			j->every = v;
	}
	/* systemd's own default accuracy is a minute. */
	long delay = timer_span(t, "RandomizedDelaySec", 0, j, &ok);
	long accuracy = delay < 0 ? -1 : timer_span(t, "AccuracySec", 60, j, &ok);
	if (ok && delay >= 0 && accuracy >= 0)
		j->extra_grace = delay + accuracy;
	if (ok && nc == 0 && na == 0 && j->kind != FOUND_UNREADABLE &&
	    j->kind != FOUND_UNMONITORED) {
		j->kind = FOUND_UNREADABLE;
		ok = found_set(&j->why, "the timer has no OnCalendar= or "
			       "OnUnitActiveSec=");
	}
	return ok;
}

/* Where the timer is said to be: its first schedule line. */
static const char *timer_place(const struct unit *t, long *line)
{
	const struct unit_entry *e[1];
	if (unit_list(t, "Timer", "OnCalendar", e, 1) ||
	    unit_list(t, "Timer", "OnUnitActiveSec", e, 1)) {
		*line = e[0]->line;
		return e[0]->file;
	}
	*line = 1;
	return t->nfiles ? t->files[0] : "?";
}

static bool timer_job(const struct search *s, const char *name,
		      const struct unit *t, struct found_list *l)
{
	char service[NAME_MAX + 1];
	const struct unit_entry *unit = unit_last(t, "Timer", "Unit");
	size_t stem = strlen(name) - strlen(".timer");
	if (unit)
		snprintf(service, sizeof service, "%s", unit->value);
	else
		snprintf(service, sizeof service, "%.*s.service", (int)stem, name);
	long line;
	const char *file = timer_place(t, &line);
	struct found_job *j = found_add(l, FOUND_UNMONITORED, file, line);
	if (!j)
		return false;
	struct unit svc = { 0 };
	bool found, ok = unit_load(s, service, &svc, &found);
	if (ok && svc.n == 0) {
		j->kind = FOUND_UNREADABLE;
		ok = found_set(&j->why, "its service cannot be read") &&
		     found_set(&j->name, service);
	} else if (ok) {
		ok = service_job(&svc, service, j);
	}
	unit_free(&svc);
	return ok && (j->kind == FOUND_UNREADABLE || timer_schedule(t, j));
}

static bool is_timer_name(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && strcmp(name + n - 6, ".timer") == 0 &&
	       name[n - 7] != '@'; /* a template is no timer of its own */
}

static int is_timer(const struct dirent *d)
{
	return is_timer_name(d->d_name);
}

/* Every timer's name over the folders, once, sorted. */
static bool timer_names(const struct search *s, struct strv *names)
{
	bool ok = true;
	for (size_t i = 0; ok && i < s->n; i++) {
		struct dirent **e;
		int n = scandir(s->dirs[i], &e, is_timer, by_name);
		if (n < 0 && errno != ENOENT)
			msg_warn("sync: cannot read %s: %s", s->dirs[i],
				 strerror(errno));
		for (int k = 0; k < n; k++) {
			bool seen = false;
			for (size_t m = 0; m < names->n; m++)
				seen |= strcmp(names->v[m], e[k]->d_name) == 0;
			if (ok && !seen)
				ok = strv_add(names, e[k]->d_name);
			free(e[k]);
		}
		if (n >= 0)
			free(e);
	}
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, by_string);
	return ok;
}

bool find_units(const char *const *dirs, size_t n, struct found_list *l)
{
	struct search s = { dirs, n };
	struct strv names = { 0 };
	bool ok = timer_names(&s, &names);
	for (size_t i = 0; ok && i < names.n; i++) {
		struct unit t = { 0 };
		bool found;
		ok = unit_load(&s, names.v[i], &t, &found);
		if (ok && t.n > 0)
			ok = timer_job(&s, names.v[i], &t, l);
		unit_free(&t);
	}
	strv_free(&names);
	return ok;
}
