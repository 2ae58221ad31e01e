#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dialect.h"
#include "file.h"
#include "msg.h"
#include "secret.h"

#define TOKEN_MAX 4096

enum trust file_trust(mode_t mode, uid_t owner, uid_t caller)
{
	if (owner != caller && owner != 0)
		return TRUST_FOREIGN;
	if (mode & (S_IWGRP | S_IWOTH))
		return TRUST_WRITABLE;
	if (mode & (S_IRGRP | S_IROTH))
		return TRUST_READABLE;
	return TRUST_OK;
}

/* Say what is wrong with a file whose contents decide where a credential
 * goes (a config file) or what it is (a token file); true when it may be
 * used.  One that others can write, or that another user owns, could
 * redirect the ping or name any file as the token: it is not used at all,
 * whatever it holds.  SECRET: the file holds a credential, so others
 * reading it is worth a warning.  WHAT_ELSE ends the "not used" line. */
static bool trusted(const struct stat *st, const char *path, bool secret,
		    const char *what_else)
{
	switch (file_trust(st->st_mode, st->st_uid, geteuid())) {
	case TRUST_OK:
		return true;
	case TRUST_READABLE:
		if (secret)
			msg_warn("%s: holds a credential but is readable by "
				 "group or others (chmod 600 it)", path);
		return true;
	case TRUST_WRITABLE:
		msg_warn("%s: writable by group or others; not used%s", path,
			 what_else);
		return false;
	case TRUST_FOREIGN:
		msg_warn("%s: owned by uid %lu, not by you or root; not used%s",
			 path, (unsigned long)st->st_uid, what_else);
		return false;
	}
	return false;
}

/* What a config file that cannot be used comes to, said in every warning
 * about one. */
#define CONFIG_NOT_USED ": no request is sent, and its job control " \
	"settings are not applied"

/* PATH opened when it is a regular file, *ST its status; else -1 with a
 * warning that ends with CONSEQUENCE (see file_open_regular). */
static int open_regular(const char *path, struct stat *st,
			const char *consequence)
{
	int err;
	int fd = file_open_regular(path, st, &err);
	if (fd < 0)
		msg_warn("%s: %s%s%s", path, file_error(err),
			 err == FILE_NOT_REGULAR || *consequence ? "; not used"
								  : "",
			 consequence);
	return fd;
}

static char *path_join(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	if (p) {
		/* Not snprintf: printf's machinery is more of libc to map into
		 * every waiting hbrun. */
		char *end = stpcpy(p, dir);
		*end++ = '/';
		stpcpy(end, name);
	}
	return p;
}

static char *search_candidate(int i)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	switch (i) {
	case 0:
		if (xdg && *xdg == '/')
			return path_join(xdg, "hbrun/hbrun.conf");
		if (home && *home)
			return path_join(home, ".config/hbrun/hbrun.conf");
		return NULL;
	case 1:
		return strdup("/etc/hbrun.conf");
	}
	return NULL;
}

/* Whether the file at PATH exists but may not be read by the caller. */
static bool forbidden(const char *path)
{
	return faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0 &&
	       errno == EACCES;
}

char *config_find(const char *config, bool *explicit, char **passed_over)
{
	const char *env = getenv("HBRUN_CONFIG");
	*explicit = true;
	if (passed_over)
		*passed_over = NULL;
	if (config)
		return strdup(config);
	if (env && *env)
		return strdup(env);
	*explicit = false;
	for (int i = 0; i < 2; i++) {
		char *path = search_candidate(i);
		struct stat st;
		if (path && stat(path, &st) == 0 && !forbidden(path))
			return path;
		if (path && passed_over && !*passed_over &&
		    stat(path, &st) == 0) {
			*passed_over = path;
			continue;
		}
		free(path);
	}
	return NULL;
}

/* The file is read whole with read(2), then parsed from memory: no stdio
 * (fopen, fgets and friends would map more of libc into every waiting
 * hbrun), passes over it need no rewind (so -c /dev/stdin works), and its
 * bytes, which may hold a token, are wiped once parsed.  A file beyond
 * CONFIG_MAX is no config file: it is not read, so that -c /dev/zero cannot
 * hold up the job. */
#define CONFIG_MAX ((size_t)1 << 20)

struct text {
	char *bytes;
	size_t len;
};

/* FD's contents into T; 0, or -1 with errno set (EFBIG: too large). */
static int read_whole(int fd, struct text *t)
{
	size_t size = 0;
	*t = (struct text){ NULL, 0 };
	for (;;) {
		if (t->len == size) {
			size_t bigger = size ? size * 2 : 4096;
			char *grown = realloc(t->bytes, bigger);
			if (!grown) {
				errno = ENOMEM;
				return -1;
			}
			t->bytes = grown;
			size = bigger;
		}
		ssize_t n = read(fd, t->bytes + t->len, size - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n; /* 0 at the end, -1 with errno set */
		t->len += (size_t)n;
		if (t->len > CONFIG_MAX) {
			errno = EFBIG;
			return -1;
		}
	}
}

static void text_wipe(struct text *t)
{
	if (t->bytes)
		explicit_bzero(t->bytes, t->len);
	free(t->bytes);
	t->bytes = NULL;
	t->len = 0;
}

/* The file's lines are read by dialect.c, whole, whatever their length:
 * no parser's buffer or name size decides what a line is.  A header that is
 * not plainly [NAME] opens a section that no job matches (never merged
 * into the one before it or the global part).  A file full of bad lines
 * warns about the first few only. */
#define SYNTAX_WARNINGS_MAX 32

/* Where the settings of the lines read so far go. */
enum place { IN_GLOBAL, IN_JOB, IN_OTHER, IN_BROKEN };

struct parse {
	const char *path;
	const char *job;
	struct layer *global;
	struct layer *job_layer;
	struct layer other; /* sections of other jobs: checked, not used */
	bool job_seen;
	int syntax_errors;
};

static void syntax_warning(struct parse *p, const struct dialect_line *l)
{
	if (++p->syntax_errors > SYNTAX_WARNINGS_MAX)
		return;
	if (l->kind == DIALECT_BROKEN_HEADER)
		msg_warn("%s:%d: broken section header (%s); its keys are "
			 "ignored", p->path, l->number, l->why);
	else
		msg_warn("%s:%d: syntax error", p->path, l->number);
}

/* SPAN as a string (the file holds no NUL byte); wiped by secret_free. */
static char *span_dup(struct dialect_span span)
{
	return strndup(span.at, span.len);
}

/* Say what was wrong with KEY = VALUE at line N of PATH, if anything. */
static void say_set(const char *path, int n, const char *key,
		    const char *value, enum set_result r)
{
	switch (r) {
	case SET_OK:
		break;
	case SET_UNKNOWN_KEY:
		msg_warn("%s:%d: unknown key '%s'", path, n, key);
		break;
	case SET_BAD_VALUE:
		msg_warn("%s:%d: bad value for '%s'", path, n, key);
		break;
	case SET_UNUSABLE:
		msg_warn("%s:%d: empty value for '%s'; " UNUSABLE_CONSEQUENCE,
			 path, n, key);
		break;
	case SET_UNKNOWN_CHOICE:
		msg_warn("%s:%d: unknown %s '%s'; " UNUSABLE_CONSEQUENCE,
			 path, n, key, value);
		break;
	case SET_BAD_HEADER: /* the value may hold a credential: not shown */
		msg_warn("%s:%d: '%s' is not a header 'Name: value' (a name of "
			 "token characters, a value without control "
			 "characters); no request is sent", path, n, key);
		break;
	}
}

static void set_from_file(struct parse *p, struct layer *l,
			  const struct dialect_line *line)
{
	char *key = span_dup(line->name), *value = span_dup(line->value);
	int id = key ? setting_by_key(key) : -1;
	if (!key || !value)
		msg_warn("%s:%d: out of memory", p->path, line->number);
	else if (l == p->global && id >= 0 &&
		 (setting_defs[id].flags & SETTING_SECTION))
		msg_warn("%s:%d: '%s' belongs in a job's section; ignored",
			 p->path, line->number, key);
	else
		say_set(p->path, line->number, key, value,
			layer_set_id(l, id, value, line->number));
	free(key);
	secret_free(value);
}

/* Where the lines after the header LINE go. */
static enum place place_of(struct parse *p, const struct dialect_line *line)
{
	if (line->kind == DIALECT_BROKEN_HEADER)
		return IN_BROKEN;
	if (p->job && dialect_span_is(line->name, p->job)) {
		p->job_seen = true;
		return IN_JOB;
	}
	return IN_OTHER;
}

/* Whether T holds a credential: its mode is then judged more strictly. */
static bool holds_secret(const struct text *t)
{
	struct dialect_cursor c;
	struct dialect_line line = { 0 };
	dialect_start(&c, t->bytes, t->len);
	while (dialect_next(&c, &line)) {
		char *key = line.kind == DIALECT_SETTING ? span_dup(line.name) : NULL;
		bool secret = key && key_is_secret(key);
		free(key);
		if (secret)
			return true;
	}
	return false;
}

static void parse_text(struct parse *p, const struct text *t)
{
	struct layer *layers[] = { [IN_GLOBAL] = p->global,
		[IN_JOB] = p->job_layer, [IN_OTHER] = &p->other,
		[IN_BROKEN] = NULL };
	enum place place = IN_GLOBAL;
	struct dialect_cursor c;
	struct dialect_line line = { 0 };
	dialect_start(&c, t->bytes, t->len);
	while (dialect_next(&c, &line)) {
		if (line.kind == DIALECT_HEADER ||
		    line.kind == DIALECT_BROKEN_HEADER)
			place = place_of(p, &line);
		if (line.kind == DIALECT_BROKEN_HEADER ||
		    line.kind == DIALECT_SYNTAX_ERROR)
			syntax_warning(p, &line);
		/* Under a broken header, a key is not even checked: no
		 * section of it can be used. */
		if (line.kind == DIALECT_SETTING && layers[place])
			set_from_file(p, layers[place], &line);
	}
	if (p->syntax_errors > SYNTAX_WARNINGS_MAX)
		msg_warn("%s: %d more lines with a syntax error", p->path,
			 p->syntax_errors - SYNTAX_WARNINGS_MAX);
}

static char *folder_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	char *dir = strdup(dirname(copy));
	free(copy);
	return dir;
}


/* Parse T into P's layers; false when the file cannot be used. */
static bool read_config(const struct stat *st, const struct text *t,
			struct parse *p)
{
	if (memchr(t->bytes, '\0', t->len)) {
		msg_warn("%s: holds a NUL byte; not used" CONFIG_NOT_USED,
			 p->path);
		return false;
	}
	if (!trusted(st, p->path, holds_secret(t), CONFIG_NOT_USED))
		return false;
	parse_text(p, t);
	if (p->job && !p->job_seen)
		msg_warn("%s: no section [%s]", p->path, p->job);
	/* A relative file name is relative to the file's own folder. */
	free(p->global->folder);
	free(p->job_layer->folder);
	p->global->folder = folder_of(p->path);
	p->job_layer->folder = folder_of(p->path);
	free(p->global->file);
	free(p->job_layer->file);
	p->global->file = strdup(p->path);
	p->job_layer->file = strdup(p->path);
	return true;
}

/* Read PATH into GLOBAL and JOB_LAYER; false when it cannot be used. */
static bool load_file(const char *path, const char *job,
		      struct layer *global, struct layer *job_layer)
{
	struct stat st;
	struct text t = { NULL, 0 };
	bool used = false;
	int fd = open_regular(path, &st, CONFIG_NOT_USED);
	if (fd >= 0 && read_whole(fd, &t) != 0) {
		if (errno == EFBIG)
			msg_warn("%s: larger than 1 MiB; not read" CONFIG_NOT_USED,
				 path);
		else
			msg_warn("%s: %s; not used" CONFIG_NOT_USED, path,
				 strerror(errno));
	} else if (fd >= 0) {
		struct parse p = { .path = path, .job = job, .global = global,
				   .job_layer = job_layer };
		layer_init(&p.other);
		used = read_config(&st, &t, &p);
		layer_free(&p.other);
	}
	text_wipe(&t);
	if (fd >= 0)
		close(fd);
	return used;
}

enum config_result config_load(const char *config, const char *job,
			       struct layer *global, struct layer *job_layer)
{
	bool explicit;
	char *passed_over;
	char *path = config_find(config, &explicit, &passed_over);
	if (passed_over)
		msg_verbose("%s: not readable by you; passed over as if absent",
			    passed_over);
	free(passed_over);
	if (!path) {
		if (job)
			msg_warn("no config file to take [%s] from", job);
		return CONFIG_NONE;
	}
	bool used = *path ? load_file(path, job, global, job_layer) : false;
	if (!*path)
		msg_warn("empty config file name (-c)" CONFIG_NOT_USED);
	free(path);
	if (used)
		return CONFIG_USED;
	/* Whatever was read of it goes too. */
	layer_free(global);
	layer_free(job_layer);
	return CONFIG_UNUSABLE;
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

#define BOM "\xEF\xBB\xBF"

/* The token in T's first line, white space trimmed, or NULL with a
 * warning: a token is never guessed from a file that is not plainly one. */
static char *token_of(const struct text *t, const char *path)
{
	const char *p = t->bytes, *end = t->bytes + t->len;
	if (t->len >= 3 && memcmp(p, BOM, 3) == 0)
		p += 3;
	if (memchr(p, '\0', (size_t)(end - p))) {
		msg_warn("%s: holds a NUL byte; not used", path);
		return NULL;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (nl)
		end = nl;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (end - p > TOKEN_MAX) {
		msg_warn("%s: first line too long for a token; not used", path);
		return NULL;
	}
	if (end == p) {
		msg_warn("%s: no token in its first line", path);
		return NULL;
	}
	return strndup(p, (size_t)(end - p));
}

char *token_file_read(const char *path, const char *base)
{
	char *full = (base && *path != '/') ? path_join(base, path) : strdup(path);
	if (!full)
		return NULL;
	char *token = NULL;
	struct stat st;
	struct text t = { NULL, 0 };
	int fd = open_regular(full, &st, "");
	if (fd >= 0 && trusted(&st, full, true, "")) {
		if (read_whole(fd, &t) != 0)
			msg_warn("%s: %s", full, errno == EFBIG
				 ? "larger than 1 MiB; not read" : strerror(errno));
		else
			token = token_of(&t, full);
	}
	text_wipe(&t);
	if (fd >= 0)
		close(fd);
	free(full);
	return token;
}

void settings_resolve_token(const struct layer *l, struct settings *out)
{
	const struct value *token = &l->v[S_TOKEN], *file = &l->v[S_TOKEN_FILE];
	if (token->state == VALUE_SET)
		out->token = strdup(token->text);
	else if (token->state == VALUE_UNSET && file->state == VALUE_SET)
		out->token = token_file_read(file->text, l->folder);
	/* Set but unusable, here or in the file: no lower level stands in. */
	out->unusable[S_TOKEN] = out->token == NULL;
}

/* Settings that are set and usable, yet do nothing or not what was
 * meant: one warning each, so that nothing is silently ignored. */
static void warn_idle(const struct layer layers[], const struct settings *s)
{
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		if (d->env && layers[LAYER_ENV].v[id].state == VALUE_UNUSABLE)
			msg_warn("%s holds only white space; "
				 UNUSABLE_CONSEQUENCE, d->env);
	}
	/* A global kill_after is a default for the jobs that have a
	 * timeout; one given for this job alone is meant to act. */
	int from = s->from[S_KILL_AFTER];
	if (s->timeout == 0 && from == LAYER_CLI)
		msg_warn("--kill-after without --timeout does nothing");
	else if (s->timeout == 0 && from == LAYER_JOB)
		msg_warn("%s:%d: kill_after without a timeout does nothing",
			 layers[from].file, layers[from].v[S_KILL_AFTER].line);
}

/* Where no level gives a token, a service whose own tools read one from
 * the environment gets it there too (Sentry's DSN); an empty variable
 * counts as unset. */
static void token_from_service_env(struct settings *out)
{
	const char *value = getenv("SENTRY_DSN");
	if (out->unusable[S_SERVICE] || !out->service ||
	    strcmp(out->service, "sentry") != 0 || !value || !*value)
		return;
	/* Trimmed as every credential is: a secret made from a file ends
	 * in a newline. */
	size_t lead = strspn(value, " \t\r\n\v\f"), len = strlen(value + lead);
	while (len > 0 && strchr(" \t\r\n\v\f", value[lead + len - 1]))
		len--;
	if (len == 0)
		return;
	out->token = strndup(value + lead, len);
	out->token_env = "SENTRY_DSN";
}

void settings_load(struct settings *out, struct layer layers[],
		   const char *job, const char *config)
{
	settings_from_env(&layers[LAYER_ENV], SETTING_HBRUN);
	enum config_result r = config_load(config, job, &layers[LAYER_GLOBAL],
					   &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, SETTING_HBRUN, out, &token_from);
	out->no_requests = r == CONFIG_UNUSABLE;
	warn_idle(layers, out);
	if (token_from >= 0)
		settings_resolve_token(&layers[token_from], out);
	else
		token_from_service_env(out);
	/* The job's name names its monitor unless one is set. */
	if (!out->monitor && !out->unusable[S_MONITOR] && job && *job)
		out->monitor = strdup(job);
}
