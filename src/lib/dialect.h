/* The config file's dialect, one line at a time (see hbrun.conf(5)): what
 * a line is decided by the whole line, whatever its length, so that no
 * line is read as anything but what it looks like.  Pure: no file, no
 * message, no allocation; spans point into the caller's bytes. */
#ifndef HBRUN_DIALECT_H
#define HBRUN_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

enum dialect_kind {
	DIALECT_BLANK,         /* empty, white space or a comment */
	DIALECT_HEADER,        /* [NAME], then only white space or a comment */
	DIALECT_BROKEN_HEADER, /* any other line that starts with '[' */
	DIALECT_SETTING,       /* key = value */
	DIALECT_SYNTAX_ERROR,  /* anything else */
};

struct dialect_span {
	const char *at;
	size_t len;
};

struct dialect_line {
	enum dialect_kind kind;
	int number;               /* 1 for the file's first line */
	struct dialect_span name; /* a header's NAME, a setting's key */
	struct dialect_span value; /* a setting's value, unquoted */
	const char *why;          /* a broken header: what is wrong */
};

/* Where a reading of a file's bytes stands. */
struct dialect_cursor {
	const char *bytes;
	size_t len;
	size_t pos;
	int line;
};

/* Start reading BYTES (LEN of them; no NUL needed at the end), past a
 * UTF-8 byte order mark at the start. */
void dialect_start(struct dialect_cursor *c, const char *bytes, size_t len);

/* The next line into *OUT; false at the end of the bytes. */
bool dialect_next(struct dialect_cursor *c, struct dialect_line *out);

/* What the line TEXT (LEN bytes, no newline) is, into *OUT (its number
 * left as it was). */
void dialect_classify(const char *text, size_t len, struct dialect_line *out);

/* Whether SPAN is the string S, byte for byte. */
bool dialect_span_is(struct dialect_span span, const char *s);

#endif
