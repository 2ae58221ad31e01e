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
#include "unitname.h"

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
 * read, *LOST then set unless it is gone (a dangling link, which systemd
 * passes over) or a character device: one linked to /dev/null reads as
 * empty, masked. */
static bool slurp(const char *path, char **text, size_t *len, bool *lost)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	bool stated = fd >= 0 && fstat(fd, &st) == 0;
	if (!stated || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > UNIT_MAX_BYTES) {
		*lost = fd >= 0 ? !stated || !S_ISCHR(st.st_mode)
				: errno != ENOENT;
		if (fd >= 0 && *lost && stated && S_ISREG(st.st_mode))
			msg_warn("sync: %s is larger than sync reads "
				 "(1 MiB)", path);
		else if (fd >= 0 && *lost)
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
		*lost = true;
		return false;
	}
	*len = (size_t)got;
	return true;
}

/* PATH's assignments added to U; a file that could not be read leaves U
 * incomplete.  False only when memory ran out. */
static bool load_file(struct unit *u, const char *path)
{
	char *text;
	size_t len;
	bool lost = false;
	if (!slurp(path, &text, &len, &lost)) {
		u->incomplete |= lost;
		return true;
	}
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

/* A drop-in: a file or link named *.conf, not hidden. */
static int is_conf(const struct dirent *d)
{
	return (d->d_type == DT_REG || d->d_type == DT_LNK ||
		d->d_type == DT_UNKNOWN) &&
	       d->d_name[0] != '.' && is_conf_name(d->d_name);
}

static bool strv_has(const struct strv *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], s) == 0)
			return true;
	return false;
}

/* The names in DIR that FILTER takes added to NAMES, each once; a folder
 * that is there but cannot be read is a warning where WARN says so, and
 * sets *UNREAD (when given). */
static bool names_in(const char *dir, int (*filter)(const struct dirent *),
		     bool warn, struct strv *names, bool *unread)
{
	struct dirent **e;
	int n = scandir(dir, &e, filter, by_name);
	if (n < 0 && warn && errno != ENOENT && errno != ENOTDIR) {
		msg_warn("sync: cannot read %s: %s", dir, strerror(errno));
		if (unread)
			*unread = true;
	}
	bool ok = true;
	for (int k = 0; k < n; k++) {
		if (ok && !strv_has(names, e[k]->d_name))
			ok = strv_add(names, e[k]->d_name);
		free(e[k]);
	}
	if (n >= 0)
		free(e);
	return ok;
}

/* The names whose NAME.d/ folders hold UNIT's drop-ins, most specific
 * first, depth first from UNIT: a name, then its template's chain (an
 * instance's), then that of the name a level up its dashes (foo-bar-baz.timer:
 * foo-bar-.timer, then foo-.timer).  A name already there brought its
 * chain already. */
static bool chain_of(const char *unit, struct strv *chain)
{
	struct strv todo = { 0 };
	bool ok = strv_add(&todo, unit);
	while (ok && todo.n) {
		char *name = todo.v[--todo.n];
		if (!strv_has(chain, name)) {
			char next[NAME_MAX + 1];
			ok = strv_add(chain, name) &&
			     (!unit_name_dash_parent(name, next, sizeof next) ||
			      strv_add(&todo, next)) &&
			     (!unit_name_template(name, next, sizeof next) ||
			      strv_add(&todo, next));
		}
		free(name);
	}
	strv_free(&todo);
	return ok;
}

/* The drop-in folders of a unit in the order systemd reads them: the
 * chain's within each unit folder, the folders in their order, and then
 * the type's own (timer.d/, service.d/) in each, the most general last. */
static bool dropin_dirs(const struct search *s, const char *unit,
			struct strv *dirs)
{
	struct strv chain = { 0 };
	const char *dot = strrchr(unit, '.');
	bool ok = chain_of(unit, &chain);
	for (size_t i = 0; ok && i < s->n; i++)
		for (size_t k = 0; ok && k < chain.n; k++) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s/%s.d", s->dirs[i],
				 chain.v[k]);
			ok = strv_add(dirs, dir);
		}
	for (size_t i = 0; ok && dot && i < s->n; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/%s.d", s->dirs[i], dot + 1);
		ok = strv_add(dirs, dir);
	}
	strv_free(&chain);
	return ok;
}

/* The drop-in CONF from the first folder that has it. */
static bool dropin_path(const struct strv *dirs, const char *conf, char *path,
			size_t size)
{
	for (size_t i = 0; i < dirs->n; i++) {
		snprintf(path, size, "%s/%s", dirs->v[i], conf);
		struct stat st; /* a dangling link still hides the name */
		if (lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/* Every drop-in name of the unit over its folders, once, sorted by file
 * name, each read from the first folder that has it (one linked to
 * /dev/null there reads as empty: it masks the name). */
static bool dropins(const struct search *s, const char *unit, struct unit *u)
{
	struct strv dirs = { 0 }, names = { 0 };
	bool ok = dropin_dirs(s, unit, &dirs);
	for (size_t i = 0; ok && i < dirs.n; i++)
		ok = names_in(dirs.v[i], is_conf, true, &names,
			      &u->incomplete);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, by_string);
	for (size_t m = 0; ok && m < names.n; m++) {
		char path[PATH_MAX];
		if (dropin_path(&dirs, names.v[m], path, sizeof path))
			ok = load_file(u, path);
	}
	strv_free(&names);
	strv_free(&dirs);
	return ok;
}

/* UNIT's file from the first folder that holds it: *FOUND whether one
 * did, *MASKED whether it is masked; false only when memory ran out. */
static bool fragment_load(const struct search *s, const char *unit,
			  struct unit *u, bool *found, bool *masked)
{
	*found = *masked = false;
	for (size_t i = 0; i < s->n && !*found; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", s->dirs[i], unit);
		struct stat st;
		if (stat(path, &st) != 0 && lstat(path, &st) != 0)
			continue;
		*found = true;
		*masked = S_ISCHR(st.st_mode) || st.st_size == 0;
		if (!*masked && !load_file(u, path))
			return false;
	}
	return true;
}

/* UNIT from the first folder that holds it (an instance with no file of
 * its own: its template's), then its drop-ins and its template's; false
 * only when memory ran out.  *FOUND: whether a folder held it. */
static bool unit_load(const struct search *s, const char *unit,
		      struct unit *u, bool *found)
{
	char template[NAME_MAX + 1];
	bool instance = unit_name_template(unit, template, sizeof template);
	bool masked;
	if (!fragment_load(s, unit, u, found, &masked))
		return false;
	if (!*found && instance &&
	    !fragment_load(s, template, u, found, &masked))
		return false;
	/* Nothing of a masked unit runs, whatever its drop-ins say. */
	return !*found || masked || dropins(s, unit, u);
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
		bool bad = false;
		for (size_t k = 0; ok && !bad && k < w.n; k++) {
			char *r = unit_specifiers(w.v[k], name, &bad);
			ok = r != NULL || bad;
			free(w.v[k]);
			w.v[k] = r;
		}
		if (bad) {
			/* systemd refuses the unit: nothing of it runs. */
			strv_free(&w);
			j->kind = FOUND_UNREADABLE;
			return found_set(&j->why, "its ExecStart= has a %I or "
					 "%P that systemd cannot unescape");
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

/* A timer's triggers are one list: an empty assignment of any of them
 * empties it all, the calendar's and the monotonic ones alike. */
static const char *const triggers[] = {
	"OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec",
	"OnUnitInactiveSec", "OnCalendar", NULL,
};

/* The span of KEY in [Timer]: the last one set; *OK false when
 * unreadable. */
static long timer_span(const struct unit *t, const char *key, long fallback,
		       struct found_job *j, bool *ok)
{
	/* systemd ignores an empty time span: the one before it stands. */
	const struct unit_entry *e = unit_last_set(t, "Timer", key);
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
	size_t nc = unit_list_shared(t, "Timer", triggers, "OnCalendar", cal,
				     LIST_MAX);
	size_t na = unit_list_shared(t, "Timer", triggers, "OnUnitActiveSec",
				     act, LIST_MAX);
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
	if (unit_list_shared(t, "Timer", triggers, "OnCalendar", e, 1) ||
	    unit_list_shared(t, "Timer", triggers, "OnUnitActiveSec", e, 1)) {
		*line = e[0]->line;
		return e[0]->file;
	}
	*line = 1;
	return t->nfiles ? t->files[0] : "?";
}

/* The service a timer starts: Unit= with the timer's specifiers (an
 * instance's Unit=foo@%i.service), else its own name with .service.
 * False when memory ran out. */
static bool timer_unit(const struct unit *t, const char *name, char *service,
		       size_t size)
{
	const struct unit_entry *unit = unit_last(t, "Timer", "Unit");
	size_t stem = strlen(name) - strlen(".timer");
	if (!unit) {
		snprintf(service, size, "%.*s.service", (int)stem, name);
		return true;
	}
	bool bad;
	char *v = unit_specifiers(unit->value, name, &bad);
	if (!v && !bad)
		return false;
	/* An unusable Unit= names no service that can be read. */
	snprintf(service, size, "%s", v ? v : unit->value);
	free(v);
	return true;
}

static bool timer_job(const struct search *s, const char *name,
		      const struct unit *t, struct found_list *l)
{
	char service[NAME_MAX + 1];
	if (!timer_unit(t, name, service, sizeof service))
		return false;
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
	bool lost = t->incomplete || svc.incomplete;
	unit_free(&svc);
	ok = ok && (j->kind == FOUND_UNREADABLE || timer_schedule(t, j));
	/* Read without a file of its own, a job's schedule or command may be
	 * wrong: nothing is planned on it. */
	if (ok && lost) {
		j->kind = FOUND_UNREADABLE;
		ok = found_set(&j->why, "a file or drop-in folder of the timer "
			       "or its service cannot be read");
	}
	return ok;
}

static bool ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n > k && strcmp(name + n - k, suffix) == 0;
}

static bool is_timer_name(const char *name)
{
	size_t n = strlen(name);
	return ends_with(name, ".timer") &&
	       name[n - 7] != '@'; /* a template is no timer of its own */
}

static int is_timer(const struct dirent *d)
{
	return is_timer_name(d->d_name);
}

/* An instance is enabled by its link in a unit's .wants/ or .requires/. */
static int is_instance_timer(const struct dirent *d)
{
	char template[NAME_MAX + 1];
	return is_timer_name(d->d_name) &&
	       unit_name_template(d->d_name, template, sizeof template);
}

static int is_link_dir(const struct dirent *d)
{
	return ends_with(d->d_name, ".wants") ||
	       ends_with(d->d_name, ".requires");
}

/* Every timer's name over the folders, once, sorted: the timer files, and
 * the instances of templates that the folders' .wants/ and .requires/
 * links enable. */
static bool timer_names(const struct search *s, struct strv *names)
{
	bool ok = true;
	for (size_t i = 0; ok && i < s->n; i++) {
		ok = names_in(s->dirs[i], is_timer, true, names, NULL);
		struct strv links = { 0 };
		ok = ok && names_in(s->dirs[i], is_link_dir, false, &links,
				    NULL);
		for (size_t k = 0; ok && k < links.n; k++) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s/%s", s->dirs[i],
				 links.v[k]);
			ok = names_in(dir, is_instance_timer, false, names,
				      NULL);
		}
		strv_free(&links);
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
