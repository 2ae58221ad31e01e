#include "oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#define TEXT_MAX 4096

bool oom_kill_parse(const char *text, long long *count)
{
	static const char key[] = "oom_kill ";
	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, sizeof key - 1) != 0)
			continue;
		char *end;
		errno = 0;
		long long n = strtoll(p + sizeof key - 1, &end, 10);
		if (errno || end == p + sizeof key - 1 || n < 0 ||
		    (*end != '\n' && *end != '\0'))
			return false;
		*count = n;
		return true;
	}
	return false;
}

/* Whether the comma-separated LIST (LEN bytes) holds WANT; the empty
 * WANT matches only the empty list (cgroup v2's line). */
static bool lists(const char *list, size_t len, const char *want)
{
	size_t n = strlen(want);
	if (n == 0)
		return len == 0;
	for (const char *w = list, *stop = list + len; w < stop;) {
		const char *comma = memchr(w, ',', (size_t)(stop - w));
		const char *end = comma ? comma : stop;
		if ((size_t)(end - w) == n && strncmp(w, want, n) == 0)
			return true;
		w = end + 1;
	}
	return false;
}

/* The path on CGROUP's line "ID:CONTROLLERS:PATH" whose controllers hold
 * WANT, or NULL; *LEN gets its length. */
static const char *hierarchy(const char *cgroup, const char *want,
			     size_t *len)
{
	for (const char *line = cgroup; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *end = eol ? eol : line + strlen(line);
		const char *c = memchr(line, ':', (size_t)(end - line));
		const char *p = c ? memchr(c + 1, ':', (size_t)(end - c - 1))
				  : NULL;
		if (p && lists(c + 1, (size_t)(p - c - 1), want)) {
			*len = (size_t)(end - p - 1);
			return p + 1;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

bool oom_events_path(const char *cgroup, const char *root, char *buf,
		     unsigned size)
{
	size_t len;
	const char *path = hierarchy(cgroup, "memory", &len);
	int n;
	if (path && *path == '/')
		n = snprintf(buf, size, "%s/memory%.*s/memory.oom_control",
			     root, (int)len, path);
	else if ((path = hierarchy(cgroup, "", &len)) && *path == '/')
		n = snprintf(buf, size, "%s%.*s/memory.events", root,
			     (int)len, path);
	else
		return false;
	return n > 0 && (unsigned)n < size;
}

/* PATH's first TEXT_MAX - 1 bytes into BUF, NUL-ended; false if none. */
static bool read_text(const char *path, char buf[TEXT_MAX])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return false;
	size_t got = 0;
	ssize_t n;
	while (got < TEXT_MAX - 1 &&
	       (n = read(fd, buf + got, TEXT_MAX - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return got > 0;
}

bool oom_kill_count(long long *count)
{
	char text[TEXT_MAX], path[TEXT_MAX];
	if (!read_text("/proc/self/cgroup", text) ||
	    !oom_events_path(text, CGROUP_ROOT, path, sizeof path) ||
	    !read_text(path, text))
		return false;
	return oom_kill_parse(text, count);
}
