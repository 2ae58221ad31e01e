#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_LINE_MAX 1024
#define MSG_HELD_MAX 32

static const char *program = "hbrun";
static bool holding;
static bool quiet;
static bool verbose;
static char *held[MSG_HELD_MAX];
static size_t held_count;

void msg_set_program(const char *name)
{
	program = name;
}

/* One write(2) per line, so that lines of concurrent hbruns sharing a log
 * never interleave mid-line. */
static void emit(const char *line)
{
	size_t len = strlen(line);
	int saved = errno;
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* stderr gone: nothing else can be said */
		line += n;
		len -= (size_t)n;
	}
	errno = saved;
}

static void format_line(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "%s: ", program);
	if (n < 0)
		n = 0;
	if ((size_t)n < size)
		vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	/* Control characters from file contents or URLs must not break the
	 * one-line rule. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	size_t len = strlen(buf);
	if (len + 1 >= size)
		len = size - 2;
	buf[len] = '\n';
	buf[len + 1] = '\0';
}

void msg_error(const char *fmt, ...)
{
	char line[MSG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	format_line(line, sizeof line, fmt, ap);
	va_end(ap);
	emit(line);
}

static void monitoring(bool verbose_only, const char *fmt, va_list ap)
{
	char line[MSG_LINE_MAX];
	format_line(line, sizeof line, fmt, ap);
	if (holding) {
		if (held_count < MSG_HELD_MAX && !verbose_only)
			held[held_count++] = strdup(line);
		return;
	}
	if (quiet || (verbose_only && !verbose))
		return;
	emit(line);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	monitoring(false, fmt, ap);
	va_end(ap);
}

void msg_verbose(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	monitoring(true, fmt, ap);
	va_end(ap);
}

void msg_hold(void)
{
	holding = true;
}

void msg_release(bool be_quiet, bool be_verbose)
{
	quiet = be_quiet;
	verbose = be_verbose && !be_quiet;
	holding = false;
	for (size_t i = 0; i < held_count; i++) {
		if (held[i] && !quiet)
			emit(held[i]);
		free(held[i]);
		held[i] = NULL;
	}
	held_count = 0;
}

void token_redact(const char *token, char *buf, size_t size)
{
	if (size == 0)
		return;
	size_t shown = strlen(token) > 4 ? 4 : 0;
	snprintf(buf, size, "%.*s...", (int)shown, token);
}
