#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Say what is wrong with a credential file; true when it may be used. */
static bool trusted(int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		msg_warn("%s: %s", path, strerror(errno));
		return false;
	}
	switch (file_trust(st.st_mode, st.st_uid, geteuid())) {
	case TRUST_OK:
		return true;
	case TRUST_READABLE:
		msg_warn("%s: holds a credential but is readable by group or "
			 "others (chmod 600 it)", path);
		return true;
	case TRUST_WRITABLE:
		msg_warn("%s: holds a credential but is writable by group or "
			 "others; not used", path);
		return false;
	case TRUST_FOREIGN:
		msg_warn("%s: holds a credential but is owned by uid %lu, not "
			 "by you or root; not used", path,
			 (unsigned long)st.st_uid);
		return false;
	}
	return false;
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

/* inih's reader, counting lines so that every warning can name one.  A line
 * longer than inih's buffer is cut (and said so): its rest must not be
 * parsed as lines of its own.  inih returns only the first syntax error,
 * so the lines found bad are fed to it again as blank lines, which lets
 * the next pass find the next error, and the last pass warn about each in
 * order. */
#define SYNTAX_ERRORS_MAX 32

struct reader {
	const struct text *text;
	size_t pos;
	const char *path;
	int line;
	int long_line; /* the last line that was too long */
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

static char *read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	if (r->pos >= r->text->len || size < 2)
		return NULL;
	const char *start = r->text->bytes + r->pos;
	size_t left = r->text->len - r->pos;
	const char *nl = memchr(start, '\n', left);
	size_t len = nl ? (size_t)(nl - start) + 1 : left;
	size_t room = (size_t)size - 1;
	size_t keep = len > room ? room : len;
	memcpy(buf, start, keep);
	buf[keep] = '\0';
	r->pos += len;
	r->line++;
	/* Cut short, unless all that did not fit is the newline. */
	if (len > room && !(nl && len - 1 == room))
		r->long_line = r->line;
	if (known_bad(r, r->line)) {
		if (r->warn)
			msg_warn("%s:%d: syntax error", r->path, r->line);
		buf[0] = '\n'; /* inih's buffer holds a line: 2 bytes at least */
		buf[1] = '\0';
	}
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

static int on_setting(void *user, const char *section, const char *key,
		      const char *value)
{
	struct parse *p = user;
	if (p->scan_only) {
		if (key_is_secret(key))
			p->holds_secret = true;
		return 1;
	}
	struct layer *l = p->global;
	if (*section) {
		bool mine = p->job && strcmp(section, p->job) == 0;
		p->job_seen |= mine;
		l = mine ? p->job_layer : &p->other;
	}
	int line = p->reader.line;
	if (p->reader.long_line == line)
		msg_warn("%s:%d: line too long; cut short", p->path, line);
	switch (layer_set_id(l, setting_by_key(key), value, line)) {
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
	}
	return 1; /* nonzero: inih's error result then means syntax only */
}

static int parse_pass(struct parse *p)
{
	p->reader.pos = 0;
	p->reader.line = 0;
	p->reader.long_line = 0;
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

static void read_config(int fd, const struct text *t, struct parse *p)
{
	p->reader = (struct reader){ .text = t, .path = p->path };
	p->scan_only = true;
	int error;
	while ((error = parse_pass(p)) > 0 &&
	       p->reader.bad_count < SYNTAX_ERRORS_MAX)
		p->reader.bad[p->reader.bad_count++] = error;
	if (p->holds_secret && !trusted(fd, p->path))
		return;
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
}

void config_load(const char *config, const char *job, struct layer *global,
		 struct layer *job_layer)
{
	bool explicit;
	char *path = config_find(config, &explicit);
	if (!path) {
		if (job)
			msg_warn("no config file to take [%s] from", job);
		return;
	}
	struct text t = { NULL, 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_whole(fd, &t) != 0) {
		if (errno == EFBIG)
			msg_warn("%s: larger than 1 MiB; not read", path);
		else
			msg_warn("%s: %s", path, strerror(errno));
	} else {
		struct parse p = { .path = path, .job = job, .global = global,
				   .job_layer = job_layer };
		layer_init(&p.other);
		read_config(fd, &t, &p);
		layer_free(&p.other);
	}
	text_wipe(&t);
	if (fd >= 0)
		close(fd);
	free(path);
}

static void trim(char *s)
{
	size_t len = strlen(s);
	while (len > 0 && strchr(" \t\r\n\v\f", s[len - 1]))
		s[--len] = '\0';
	size_t lead = strspn(s, " \t\r\n\v\f");
	memmove(s, s + lead, len - lead + 1);
}

static char *first_line(int fd)
{
	char buf[TOKEN_MAX];
	size_t len = 0;
	while (len < sizeof buf - 1) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	trim(buf);
	char *token = *buf ? strdup(buf) : NULL;
	explicit_bzero(buf, sizeof buf);
	return token;
}

char *token_file_read(const char *path, const char *base)
{
	char *full = (base && *path != '/') ? path_join(base, path) : strdup(path);
	if (!full)
		return NULL;
	char *token = NULL;
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg_warn("%s: %s", full, strerror(errno));
	} else {
		if (trusted(fd, full)) {
			token = first_line(fd);
			if (!token)
				msg_warn("%s: no token in its first line", full);
		}
		close(fd);
	}
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

void settings_load(struct settings *out, struct layer layers[],
		   const char *job, const char *config)
{
	settings_from_env(&layers[LAYER_ENV], SETTING_HBRUN);
	config_load(config, job, &layers[LAYER_GLOBAL], &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, SETTING_HBRUN, out, &token_from);
	if (token_from >= 0)
		settings_resolve_token(&layers[token_from], out);
}

void settings_load_hbctl(struct settings *out, struct layer layers[],
			 const char *config)
{
	settings_from_env(&layers[LAYER_ENV], SETTING_HBCTL);
	/* No job: every section goes unused, so only the global part counts. */
	config_load(config, NULL, &layers[LAYER_GLOBAL], &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, SETTING_HBCTL, out, &token_from);
}
