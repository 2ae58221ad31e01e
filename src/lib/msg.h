/* Messages: one line on stderr, always prefixed "hbrun: ".
 *
 * Two kinds: msg_error() says the job did not run (or that the command
 * line is unusable) and is always printed; msg_warn()/msg_info() are about
 * monitoring, silenced by --quiet.  Monitoring messages issued before the
 * settings are complete are held back, because only the settings say
 * whether they may be printed.  No message may hold a whole token: use
 * token_redact() and url_origin(). */
#ifndef HBRUN_MSG_H
#define HBRUN_MSG_H

#include <stdbool.h>
#include <stddef.h>

#define MSG_PREFIX "hbrun: "

/* A message function, for code that says the same thing either way. */
typedef void msg_fn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void msg_set_program(const char *name);
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write every message to stdout from now on (--check's report). */
void msg_to_stdout(void);

/* The last warning, without its prefix (quiet or not): for --check. */
const char *msg_last_warning(void);

/* Hold monitoring messages until msg_release() says whether to print them. */
void msg_hold(void);
void msg_release(bool quiet, bool verbose);

/* From now on, show no more than the first 4 characters of SECRET (in
 * any case) wherever it stands in a message: a token may stand in a URL's
 * host as well as in its path.  Up to MSG_SECRETS_MAX secrets, copied;
 * one of 4 characters or fewer is not kept (it shows no more than that). */
#define MSG_SECRETS_MAX 16
void msg_add_secret(const char *secret);

/* Hide in LINE, in place, every secret msg_add_secret() was given, as
 * messages do: for text printed another way (--check's report). */
void msg_hide_secrets(char *line);

/* Write the first 4 characters of TOKEN then "..." into BUF (NUL-ended,
 * truncated to SIZE).  A token of 4 characters or fewer is shown as "...":
 * showing it whole would show the whole credential. */
void token_redact(const char *token, char *buf, size_t size);

#endif
