#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "msg.h"

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

/* PATH opened when it is a regular file, *ST its status; else -1 with a
 * warning (see file_open_regular). */
static int open_regular(const char *path, struct stat *st)
{
	int err;
	int fd = file_open_regular(path, st, &err);
	if (fd < 0)
		msg_warn("%s: %s%s", path, file_error(err),
			 err == FILE_NOT_REGULAR ? "; not used" : "");
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

char *config_find(const char *config, bool *explicit)
{
	const char *env = getenv("HBRUN_CONFIG");
	*explicit = true;
	if (config)
		return strdup(config);
	if (env && *env)
		return strdup(env);
	*explicit = false;
	for (int i = 0; i < 2; i++) {
		char *path = search_candidate(i);
		struct stat st;
		if (path && stat(path, &st) == 0)
			return path;
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

/* inih's reader, counting lines so that every warning can name one, and
 * holding inih to the dialect of hbrun.conf(5), so that no line is read as
 * anything but what it looks like: an indented line is an ordinary line
 * (never the continuation of the one before), a key line needs '=' before
 * any ':', and a section header without its ']' opens a section that no
 * job matches (never the one before it).  A line longer than inih's buffer
 * gives its key an empty value: never one cut short.  inih returns only
 * the first syntax error, so the lines found bad are fed to it again as
 * blank lines, which lets the next pass find the next error, and the last
 * pass warn about each in order. */
#define SYNTAX_ERRORS_MAX 32
#define BOM "\xEF\xBB\xBF"

struct reader {
	const struct text *text;
	size_t pos;
	const char *path;
	int line;
	int long_line; /* the last line that was too long */
	bool broken_section; /* under a header that lacks its ']' */
	int bad[SYNTAX_ERRORS_MAX];
	int bad_count;
	bool warn;
};

static bool known_bad(const struct reader *r, int line)
{
	for (int i = 0; i < r->bad_count; i++)
		if (r->bad[i] == line)
			return true;
	return false;
}

/* What kind of line LINE (LEN bytes, leading white space gone) is. */
enum line_kind { LINE_OTHER, LINE_HEADER, LINE_BROKEN_HEADER, LINE_BAD };

static enum line_kind kind_of(const char *line, size_t len)
{
	if (len == 0 || strchr(";#\r\n", *line))
		return LINE_OTHER;
	if (*line == '[')
		return memchr(line, ']', len) ? LINE_HEADER : LINE_BROKEN_HEADER;
	const char *eq = memchr(line, '=', len);
	const char *colon = memchr(line, ':', len);
	if (!eq || (colon && colon < eq))
		return LINE_BAD;
	return LINE_OTHER;
}

static void blank(char *buf)
{
	buf[0] = '\n'; /* inih's buffer holds a line: 2 bytes at least */
	buf[1] = '\0';
}

/* Copy the line at START (LEN bytes, its newline excluded) into BUF. */
static void take_line(struct reader *r, char *buf, size_t room,
		      const char *start, size_t len)
{
	size_t lead = strspn(start, " \t");
	if (lead > len)
		lead = len;
	start += lead;
	len -= lead;
	enum line_kind kind = kind_of(start, len);
	if (kind == LINE_HEADER)
		r->broken_section = false;
	if (kind == LINE_BROKEN_HEADER)
		r->broken_section = true;
	if (kind == LINE_BROKEN_HEADER || kind == LINE_BAD ||
	    known_bad(r, r->line)) {
		if (r->warn)
			msg_warn("%s:%d: syntax error%s", r->path, r->line,
				 kind == LINE_BROKEN_HEADER
					 ? ": no ']' ends the section name; "
					   "its keys are ignored" : "");
		blank(buf);
		return;
	}
	if (len > room) {
		/* Too long: its key, if any, gets an empty value. */
		const char *eq = memchr(start, '=', room);
		r->long_line = r->line;
		len = eq ? (size_t)(eq - start) + 1 : 0;
	}
	memcpy(buf, start, len);
	if (len < room)
		buf[len++] = '\n';
	buf[len] = '\0';
}

static char *read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	if (r->pos >= r->text->len || size < 2)
		return NULL;
	const char *start = r->text->bytes + r->pos;
	size_t left = r->text->len - r->pos;
	if (r->pos == 0 && left >= 3 && memcmp(start, BOM, 3) == 0) {
		start += 3;
		left -= 3;
		r->pos += 3;
	}
	const char *nl = memchr(start, '\n', left);
	size_t len = nl ? (size_t)(nl - start) : left;
	r->pos += nl ? len + 1 : len;
	r->line++;
	take_line(r, buf, (size_t)size - 1, start, len);
	return buf;
}

struct parse {
	const char *path;
	const char *job;
	struct reader reader;
	struct layer *global;
	struct layer *job_layer;
	struct layer other; /* sections of other jobs: checked, not used */
	bool job_seen;
	bool holds_secret;
	bool scan_only;
};

/* Whether SECTION, as inih gives it, names JOB: white space around the
 * name inside the brackets is not part of it. */
static bool is_section(const char *section, const char *job)
{
	size_t lead = strspn(section, " \t");
	size_t len = strlen(section + lead);
	while (len > 0 && strchr(" \t", section[lead + len - 1]))
		len--;
	return len == strlen(job) && strncmp(section + lead, job, len) == 0;
}

/* A value wholly inside one pair of double quotes loses them. */
#define VALUE_MAX 1024

static const char *unquoted(const char *value, char *buf)
{
	size_t len = strlen(value);
	if (len < 2 || len > VALUE_MAX || value[0] != '"' ||
	    value[len - 1] != '"' ||
	    memchr(value + 1, '"', len - 2))
		return value;
	memcpy(buf, value + 1, len - 2);
	buf[len - 2] = '\0';
	return buf;
}

/* A line too long to read whole: a word setting (a string, a service, a
 * method) is set but unusable, never cut short and used nor left to a
 * lower level, which could name another service for this job's token; a
 * number or boolean is ignored, as a bad one is. */
static void too_long(const char *path, int line, struct layer *l,
		     const char *key)
{
	int id = setting_by_key(key);
	msg_warn("%s:%d: line too long; '%s' not used", path, line, key);
	if (id >= 0 && (setting_defs[id].type == TYPE_STRING ||
			setting_defs[id].type == TYPE_CHOICE ||
			setting_defs[id].type == TYPE_HEADERS))
		layer_set_unusable(l, id, line);
}

static int on_setting(void *user, const char *section, const char *key,
		      const char *value)
{
	struct parse *p = user;
	char buf[VALUE_MAX];
	if (p->scan_only) {
		if (key_is_secret(key))
			p->holds_secret = true;
		return 1;
	}
	struct layer *l = p->global;
	if (*section) {
		bool mine = p->job && is_section(section, p->job);
		p->job_seen |= mine;
		l = mine ? p->job_layer : &p->other;
	}
	int line = p->reader.line;
	if (p->reader.broken_section)
		return 1;
	if (p->reader.long_line == line) {
		too_long(p->path, line, l, key);
		return 1;
	}
	switch (layer_set_id(l, setting_by_key(key), unquoted(value, buf),
			     line)) {
	case SET_OK:
		break;
	case SET_UNKNOWN_KEY:
		msg_warn("%s:%d: unknown key '%s'", p->path, line, key);
		break;
	case SET_BAD_VALUE:
		msg_warn("%s:%d: bad value for '%s'", p->path, line, key);
		break;
	case SET_UNUSABLE:
		msg_warn("%s:%d: empty value for '%s'; " UNUSABLE_CONSEQUENCE,
			 p->path, line, key);
		break;
	case SET_UNKNOWN_CHOICE:
		msg_warn("%s:%d: unknown %s '%s'; " UNUSABLE_CONSEQUENCE,
			 p->path, line, key, value);
		break;
	case SET_BAD_HEADER: /* the value may hold a credential: not shown */
		msg_warn("%s:%d: '%s' is not a header 'Name: value' (a name of "
			 "token characters, a value without control "
			 "characters); no request is sent", p->path, line, key);
		break;
	}
	return 1; /* nonzero: inih's error result then means syntax only */
}

static int parse_pass(struct parse *p)
{
	p->reader.pos = 0;
	p->reader.line = 0;
	p->reader.long_line = 0;
	p->reader.broken_section = false;
	return ini_parse_stream(read_line, &p->reader, on_setting, p);
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

#define CONFIG_NOT_USED ": no request is sent, and its job control " \
	"settings are not applied"

/* Parse T into P's layers; false when the file cannot be used. */
static bool read_config(const struct stat *st, const struct text *t,
			struct parse *p)
{
	if (memchr(t->bytes, '\0', t->len)) {
		msg_warn("%s: holds a NUL byte; not used" CONFIG_NOT_USED,
			 p->path);
		return false;
	}
	p->reader = (struct reader){ .text = t, .path = p->path };
	p->scan_only = true;
	int error;
	while ((error = parse_pass(p)) > 0 &&
	       p->reader.bad_count < SYNTAX_ERRORS_MAX)
		p->reader.bad[p->reader.bad_count++] = error;
	if (!trusted(st, p->path, p->holds_secret, CONFIG_NOT_USED))
		return false;
	p->scan_only = false;
	p->reader.warn = true;
	parse_pass(p);
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
	int fd = open_regular(path, &st);
	if (fd >= 0 && read_whole(fd, &t) != 0) {
		if (errno == EFBIG)
			msg_warn("%s: larger than 1 MiB; not read", path);
		else
			msg_warn("%s: %s", path, strerror(errno));
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
	char *path = config_find(config, &explicit);
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
	int fd = open_regular(full, &st);
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

/* Where no level gives a token, a service whose own tools read one from
 * the environment gets it there too (Sentry's DSN); an empty variable
 * counts as unset. */
static void token_from_service_env(struct settings *out)
{
	const char *value = getenv("SENTRY_DSN");
	if (out->unusable[S_SERVICE] || !out->service ||
	    strcmp(out->service, "sentry") != 0 || !value || !*value)
		return;
	out->token = strdup(value);
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
	if (token_from >= 0)
		settings_resolve_token(&layers[token_from], out);
	else
		token_from_service_env(out);
	/* The job's name names its monitor unless one is set. */
	if (!out->monitor && !out->unusable[S_MONITOR] && job && *job)
		out->monitor = strdup(job);
}
