/* hbctl's output on stdout: aligned tables, key: value lines, and the
 * API's JSON as it came.  Every string from the API is shown with its
 * control characters (C0, DEL and C1) replaced by '?': a heartbeat's name
 * must not be able to move the cursor or forge a line of the table. */
#ifndef HBCTL_OUT_H
#define HBCTL_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "heartbeat.h"

/* S with control characters replaced, malloc'd (NULL: no memory). */
char *out_clean(const char *s);

/* Columns S takes on a terminal: one per UTF-8 character.  (Wide CJK
 * characters take two there; a table holding them is off by as many.) */
size_t out_width(const char *s);

/* ROWS rows of COLS cells (CELLS[row * COLS + col]; row 0 the header),
 * each column as wide as its widest cell plus two spaces, no trailing white
 * space.  A NULL cell is shown as "-". */
void out_table(FILE *out, size_t cols, size_t rows, const char *const *cells);

/* list: a table of N heartbeats (no tokens: a table is for looking over). */
void out_heartbeats(FILE *out, const struct heartbeat *hb, size_t n);

/* pings: a table of N pings, in the order given (the API's: newest first). */
void out_pings(FILE *out, const struct ping_record *p, size_t n);

/* One heartbeat as "key: value" lines, values aligned, the token and
 * PING_URL (if not NULL) included: create, get, update, pause, resume. */
void out_heartbeat(FILE *out, const struct heartbeat *hb,
		   const char *ping_url);

/* --json: BODY as it came, with a newline after it if it had none. */
void out_body(FILE *out, const char *body, size_t len);

#endif
