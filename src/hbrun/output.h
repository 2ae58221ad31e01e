/* The job's output, with send_output: its stdout and stderr are pipes that
 * hbrun reads, copying every byte on to its own stdout and stderr as it
 * comes, and keeping the last bytes of both for the end request.
 *
 * A slow reader of hbrun's output slows the job (nothing is read while
 * bytes wait to be written), but never hbrun's forwarding of signals:
 * hbrun's own stdout and stderr are written without blocking.  A reader
 * that went away (EPIPE) is passed on: hbrun closes that stream's pipe, so
 * the job's next write to it fails as it would without hbrun.  When an
 * output fails otherwise, its copying stops and its pipe is still read.
 *
 * It never waits itself: the caller polls the descriptors output_fds()
 * gives and hands the result to output_service(). */
#ifndef HBRUN_OUTPUT_H
#define HBRUN_OUTPUT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct output;
struct held;

/* Pipes for the job's stdout and stderr and a tail of BYTES.  NULL, with
 * errno set, when they cannot be had. */
struct output *output_new(size_t bytes);

/* The write ends, to hand to the job as its fds 1 and 2; the caller owns
 * them from here on. */
void output_job_ends(struct output *o, int fds[2]);

/* Whether either pipe is still open. */
bool output_open(const struct output *o);

/* Put the descriptors to watch into FDS (room for at least 4); returns
 * how many. */
unsigned output_fds(const struct output *o, struct pollfd *fds);

/* Read and copy what the poll over FDS (N of them) found ready. */
void output_service(struct output *o, const struct pollfd *fds, unsigned n);

/* Hand every chunk read to H instead of copying it on, until H cannot
 * take one (then it and all later ones are copied on as usual).  H stays
 * the caller's. */
void output_hold(struct output *o, struct held *h);

/* Keep at most BYTES of the tail (a server said it keeps no more). */
void output_limit(struct output *o, size_t bytes);

/* The job has ended: what it wrote until then, still in the pipes, is owed
 * to hbrun's stdout and stderr, however slowly they are read. */
void output_job_ended(struct output *o);

/* Whether some of it is still to be copied on. */
bool output_owed(const struct output *o);

/* Close the pipes: anything still written to them is refused. */
void output_close(struct output *o);

/* The tail, oldest byte first; valid until output_free(). */
const char *output_tail(struct output *o, size_t *len);

void output_free(struct output *o);

#endif
