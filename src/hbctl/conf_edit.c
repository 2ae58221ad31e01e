#include "conf_edit.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "file.h"
#include "secret.h"

#define CONF_MAX ((size_t)1 << 20)

/* A token goes in as it is: nothing in it may read as a comment, a quote
 * pair, white space to trim, or another line. */
static bool token_fits(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || t[0] == '"' || t[0] == '#' || t[0] == ';')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f ||
		    t[i] == ';' || t[i] == '#')
			return false;
	return true;
}

/* The line at P (up to END): [NAME] with only white space or a comment
 * after the ']'?  *IS_NAMED: the name is SECTION. */
static const char *past_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool header(const char *p, const char *end, const char *section,
		   bool *is_named)
{
	p = past_blanks(p, end);
	if (p >= end || *p != '[')
		return false;
	const char *close = memchr(p, ']', (size_t)(end - p));
	if (!close)
		return true; /* a broken header still ends the section before */
	const char *name = p + 1;
	size_t len = (size_t)(close - name);
	while (len && strchr(" \t", *name)) {
		name++;
		len--;
	}
	while (len && strchr(" \t", name[len - 1]))
		len--;
	const char *after = close + 1;
	while (after < end && strchr(" \t\r", *after) && *after)
		after++;
	*is_named = (after == end || *after == '#' || *after == ';') &&
		    len == strlen(section) && memcmp(name, section, len) == 0;
	return true;
}

/* A key line "token = ..." (or "token=..."). */
static bool is_token_key(const char *p, const char *end)
{
	p = past_blanks(p, end);
	if ((size_t)(end - p) < 5 || memcmp(p, "token", 5) != 0)
		return false;
	p += 5;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && *p == '=';
}

/* Where to insert: after the last [SECTION] header line (*AT, its line
 * ending in *CRLF); -1: no such section; 0: it holds a token. */
static int find_section(const char *text, size_t len, const char *section,
			size_t *at, bool *crlf)
{
	bool inside = false, has_token = false;
	int found = -1;
	for (size_t pos = 0; pos < len;) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		const char *end = nl ? nl : text + len;
		bool named = false;
		if (header(p, end, section, &named)) {
			inside = named;
			if (named) {
				found = 1;
				*at = nl ? (size_t)(nl - text) + 1 : len;
				*crlf = end > p && end[-1] == '\r';
			}
		} else if (inside && is_token_key(p, end)) {
			has_token = true;
		}
		pos = nl ? (size_t)(nl - text) + 1 : len;
	}
	return has_token ? 0 : found;
}

bool conf_insert(const char *text, size_t len, const char *section,
		 const char *token, char **out, size_t *out_len,
		 const char **why)
{
	*why = NULL;
	if (!token_fits(token)) {
		*why = "the token holds characters a config line cannot carry";
		return false;
	}
	size_t at = len;
	bool crlf = false;
	int where = find_section(text, len, section, &at, &crlf);
	if (where == 0) {
		*why = "the section holds a token already";
		return false;
	}
	bool no_newline = at == len && len > 0 && text[len - 1] != '\n';
	size_t add = strlen(token) + strlen(section) + 32;
	char *o = malloc(len + add);
	if (!o)
		return false;
	size_t n = 0;
	memcpy(o, text, at);
	n = at;
	if (no_newline)
		o[n++] = '\n';
	if (where < 0)
		n += (size_t)sprintf(o + n, "%s[%s]\n", len ? "\n" : "",
				     section);
	n += (size_t)sprintf(o + n, "token = %s%s", token,
			     crlf ? "\r\n" : "\n");
	memcpy(o + n, text + at, len - at);
	*out = o;
	*out_len = n + len - at;
	return true;
}

/* "PATH: WHAT" into WHY. */
static bool fail(char *why, size_t size, const char *path, const char *what)
{
	snprintf(why, size, "%s: %s", path, what);
	return false;
}

/* The existing file read whole, judged by the trust rules on its own
 * descriptor.  *TEXT NULL and *MODE 0600 when it does not exist. */
static bool read_existing(const char *path, char **text, size_t *len,
			  struct stat *st, char *why, size_t size)
{
	int err;
	*text = NULL;
	*len = 0;
	int fd = file_open_regular(path, st, &err);
	if (fd < 0 && err == ENOENT) {
		st->st_mode = S_IFREG | 0600;
		st->st_uid = geteuid();
		st->st_gid = getegid();
		return true;
	}
	if (fd < 0)
		return fail(why, size, path, file_error(err));
	enum trust t = file_trust(st->st_mode, st->st_uid, geteuid());
	if (t == TRUST_WRITABLE || t == TRUST_FOREIGN || (size_t)st->st_size > CONF_MAX) {
		close(fd);
		return fail(why, size, path,
			    t == TRUST_WRITABLE ? "writable by group or others"
			    : t == TRUST_FOREIGN ? "owned by another user"
						 : "larger than 1 MiB");
	}
	*text = malloc((size_t)st->st_size + 1);
	ssize_t got = *text ? read(fd, *text, (size_t)st->st_size) : -1;
	close(fd);
	if (got < 0 || got != st->st_size || memchr(*text, '\0', (size_t)got)) {
		free(*text);
		*text = NULL;
		return fail(why, size, path,
			    got < 0 ? strerror(errno) : "changed while read, or "
			    "holds a NUL byte");
	}
	(*text)[got] = '\0';
	*len = (size_t)got;
	return true;
}

/* TEXT into a new file beside PATH, then renamed over it: a reader sees
 * the old file or the new, never half of one. */
static bool replace(const char *path, const char *text, size_t len,
		    const struct stat *st, char *why, size_t size)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	if (!tmp)
		return fail(why, size, path, "out of memory");
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	int fd = mkostemp(tmp, O_CLOEXEC);
	bool ok = fd >= 0;
	if (ok) {
		if (geteuid() == 0)
			(void)!fchown(fd, st->st_uid, st->st_gid);
		ok = fchmod(fd, st->st_mode & 07777) == 0 &&
		     write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
		ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
		if (!ok)
			unlink(tmp);
	}
	int e = errno;
	free(tmp);
	return ok || fail(why, size, path, strerror(e));
}

int conf_section_state(const char *path, const char *section)
{
	char *text, why[64];
	size_t len, at;
	struct stat st;
	bool crlf;
	if (!read_existing(path, &text, &len, &st, why, sizeof why) || !text)
		return -1;
	int state = find_section(text, len, section, &at, &crlf);
	explicit_bzero(text, len);
	free(text);
	return state;
}

bool conf_write_token(const char *path, const char *section,
		      const char *token, char *why, size_t size)
{
	char *text, *out;
	size_t len, out_len;
	struct stat st;
	const char *reason;
	if (!read_existing(path, &text, &len, &st, why, size))
		return false;
	bool existed = text != NULL;
	bool ok = conf_insert(existed ? text : "", len, section, token, &out,
			      &out_len, &reason);
	if (existed) {
		explicit_bzero(text, len);
		free(text);
	}
	if (!ok)
		return fail(why, size, path, reason ? reason : "out of memory");
	/* A link (a mounted secret's, a file kept elsewhere) keeps pointing
	 * at the file: the new one takes the target's place. */
	char *target = existed ? realpath(path, NULL) : NULL;
	ok = replace(target ? target : path, out, out_len, &st, why, size);
	free(target);
	explicit_bzero(out, out_len);
	free(out);
	return ok;
}

bool token_file_write(const char *path, const char *token, char *why,
		      size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(why, size, path, strerror(errno));
	size_t n = strlen(token);
	bool ok = write(fd, token, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
		  fsync(fd) == 0;
	int e = errno;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		unlink(path);
		return fail(why, size, path, strerror(e));
	}
	return true;
}

bool conf_writable(const char *path, bool must_be_new, char *why,
		   size_t size)
{
	if (path[0] != '/')
		return fail(why, size, path, "a relative path: the "
			    "folder it is relative to is the job's");
	struct stat st;
	if (lstat(path, &st) == 0 && must_be_new)
		return fail(why, size, path, "exists already; its "
			    "token is not replaced");
	char *copy = strdup(path);
	if (!copy)
		return fail(why, size, path, "out of memory");
	const char *dir = dirname(copy);
	bool ok = access(dir, W_OK | X_OK) == 0;
	int e = errno;
	free(copy);
	return ok || fail(why, size, path, strerror(e));
}
