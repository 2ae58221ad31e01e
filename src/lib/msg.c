#include "msg.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nopipe.h"

#define MSG_LINE_MAX 1024
#define MSG_HELD_MAX 32

static const char *program = "hbrun";
static bool holding;
static bool quiet;
static bool verbose;
static char *held[MSG_HELD_MAX];
static bool held_verbose[MSG_HELD_MAX]; /* shown under -v only */
static size_t held_count;
static char *secrets[MSG_SECRETS_MAX];
static int out_fd = STDERR_FILENO;

void msg_set_program(const char *name)
{
	program = name;
}

/* One write(2) per line, so that lines of concurrent hbruns sharing a log
 * never interleave mid-line.
 *
 * stderr may be a pipe nobody reads any more: the write then fails, and
 * must not kill hbrun with SIGPIPE (before the job has even run, or before
 * its status has come back). */
static void emit(const char *line)
{
	size_t len = strlen(line);
	int saved = errno;
	struct nopipe guard;
	nopipe_begin(&guard);
	while (len > 0) {
		ssize_t n = write(out_fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* stderr gone: nothing else can be said */
		line += n;
		len -= (size_t)n;
	}
	nopipe_end(&guard);
	errno = saved;
}

/* Each secret in LINE keeps its first 4 characters, the rest becomes
 * dots, at most three, so the line never grows. */
static void hide_secrets(char *line)
{
	for (size_t i = 0; i < MSG_SECRETS_MAX && secrets[i]; i++) {
		size_t len = strlen(secrets[i]);
		size_t keep = 4;
		size_t shown = keep + 3 < len ? keep + 3 : len;
		char *at = line;
		while ((at = strcasestr(at, secrets[i]))) {
			memcpy(at + keep, "...", shown - keep);
			memmove(at + shown, at + len, strlen(at + len) + 1);
			at += shown;
		}
	}
}

void msg_hide_secrets(char *line)
{
	hide_secrets(line);
}

void msg_add_secret(const char *secret)
{
	for (size_t i = 0; i < MSG_SECRETS_MAX; i++) {
		if (secrets[i] && strcmp(secrets[i], secret) == 0)
			return;
		/* Shown whole, one of 4 characters or fewer shows no more
		 * than its first 4. */
		if (!secrets[i] && strlen(secret) > 4) {
			secrets[i] = strdup(secret);
			return;
		}
	}
}

/* The format attribute lets the compiler check the callers' formats, and
 * clang's -Wformat-nonliteral accept the vsnprintf here. */
__attribute__((format(printf, 3, 0)))
static void format_line(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "%s: ", program);
	if (n < 0)
		n = 0;
	/* AP was started by msg_warn() or msg_verbose() and passed on through
	 * monitoring(); clang-analyzer 14 loses track of a va_list passed on
	 * twice and calls it uninitialised. */
	if ((size_t)n < size)
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	hide_secrets(buf);
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

static char last[MSG_LINE_MAX];

/* LINE, less its prefix and newline, as the last warning. */
static void remember(const char *line)
{
	const char *text = strchr(line, ' ');
	snprintf(last, sizeof last, "%s", text ? text + 1 : line);
	last[strcspn(last, "\n")] = '\0';
}

const char *msg_last_warning(void)
{
	return last;
}

__attribute__((format(printf, 2, 0)))
static void monitoring(bool verbose_only, const char *fmt, va_list ap)
{
	char line[MSG_LINE_MAX];
	format_line(line, sizeof line, fmt, ap);
	if (!verbose_only)
		remember(line);
	if (holding) {
		if (held_count < MSG_HELD_MAX) {
			held_verbose[held_count] = verbose_only;
			held[held_count++] = strdup(line);
		}
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

void msg_to_stdout(void)
{
	out_fd = STDOUT_FILENO;
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
		if (held[i] && !quiet && (verbose || !held_verbose[i]))
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
