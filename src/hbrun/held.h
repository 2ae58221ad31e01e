/* The job's output held back until its ending is known, with
 * output_on_failure: each chunk read from the job's stdout or stderr goes
 * into one unnamed private file, tagged with its stream; after a failure
 * the chunks are written back, each to its own stream, in the order they
 * were read; after a success, nothing is.
 *
 * Held output is on disk, not in memory.  When the file cannot take a
 * chunk (a full disk, a quota), what it held is written out at once and
 * the caller passes every later chunk through itself: nothing is lost and
 * the job never waits for room. */
#ifndef HBRUN_HELD_H
#define HBRUN_HELD_H

#include <stdbool.h>
#include <stddef.h>

struct held;

/* The most bytes held in memory before they go into the file together. */
#define HELD_BATCH (1 << 19)

/* An unnamed file (O_TMPFILE, mode 0600) in $TMPDIR, or /tmp where
 * TMPDIR is unset or empty.  NULL, with errno set, when there is none to
 * be had: no other folder is tried in place of TMPDIR's. */
struct held *held_new(void);

/* Keep LEN bytes of DATA, read from stream FD (1 or 2).  False when the
 * file could not take them: what it held has then been written out
 * (held_spill), and DATA is the caller's to pass on. */
bool held_write(struct held *h, int fd, const char *data, size_t len);

/* Room in memory for the next chunk of stream FD (1 or 2), to be read
 * straight into it: its address, and *ROOM bytes of it, at least
 * HELD_ROOM_MIN.  NULL when the file could not take what was in memory:
 * then it has been written out, as for held_write(). */
#define HELD_ROOM_MIN 65536
char *held_room(struct held *h, int fd, size_t *room);

/* LEN bytes were put where held_room() said, for stream FD: keep them. */
void held_commit(struct held *h, int fd, size_t len);

/* Write every chunk held so far to its own stream (hbrun's fd 1 or 2),
 * in the order read, then forget them.  A stream whose reader is gone
 * gets nothing more; the other still gets its chunks. */
void held_spill(struct held *h);

/* Whether a write has failed and the output is passed through now. */
bool held_spent(const struct held *h);

void held_free(struct held *h);

#endif
