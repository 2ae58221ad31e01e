#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "held.h"

#define CHUNK 65536
#define TEE_MAX (1 << 20)
/* The job's pipes are made this large where the system allows it (the
 * default pipe-max-size): a job writing faster than hbrun is scheduled
 * goes on writing instead of sleeping, and each wake-up of hbrun takes
 * more at once.  Kernel memory, only while bytes wait in it. */
#define JOB_PIPE (1 << 20)

/* How a copy is written to hbrun's own stdout or stderr. */
enum sink_kind {
	SINK_NONE,     /* copying stopped: the output failed */
	SINK_FILE,     /* a regular file: writes do not wait on a reader */
	SINK_NONBLOCK, /* a descriptor of our own, opened non-blocking */
	SINK_SOCKET,   /* send() without waiting */
	SINK_SMALL,    /* only what fits after POLLOUT: a pipe we cannot reopen */
	SINK_TEE,      /* a pipe of our own: the job's bytes are tee'd into it */
};

struct stream {
	int in;              /* the job's pipe, -1 once at end of file */
	int job_end;         /* its write end, until handed over */
	int out;             /* where copies go */
	enum sink_kind kind;
	char buf[CHUNK];     /* read, not yet written */
	size_t off, len;
	bool writable;       /* SINK_SMALL: POLLOUT came */
	bool full;           /* SINK_TEE: the sink's pipe had no room */
	bool piped;          /* the sink is a pipe, FIFO or socket: one that
				can lose its reader */
	size_t owed;         /* once the job has ended: bytes it had written
				still in the pipe, to be copied on */
};

struct output {
	struct stream s[2];
	char *ring;          /* the tail, a ring of CAP bytes */
	size_t cap, head, used, limit;
	char *flat;
	struct held *held;   /* output_on_failure: chunks go here instead */
};

/* Where FD's copies go, and how: hbrun's descriptor is shared with
 * others, so it is never made non-blocking itself; a pipe, FIFO or
 * terminal is opened again through /proc, as a description of our own. */
static void sink_open(struct stream *st, int fd)
{
	struct stat sb;
	st->out = fd;
	st->kind = SINK_NONE;
	if (fstat(fd, &sb) != 0)
		return;
	st->piped = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode);
	if (S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode)) {
		st->kind = SINK_FILE;
		return;
	}
	if (S_ISSOCK(sb.st_mode)) {
		st->kind = SINK_SOCKET;
		return;
	}
	char path[32];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int own = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (own >= 0) {
		st->out = own;
		st->kind = S_ISFIFO(sb.st_mode) ? SINK_TEE : SINK_NONBLOCK;
	} else {
		st->kind = SINK_SMALL;
	}
}

static bool stream_init(struct stream *st, int fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return false;
	st->in = p[0];
	st->job_end = p[1];
	fcntl(st->in, F_SETFL, fcntl(st->in, F_GETFL) | O_NONBLOCK);
	/* Refused (EPERM past the user's share of pipe memory): the pipe
	 * keeps its size, and everything works as before, only slower. */
	(void)fcntl(st->in, F_SETPIPE_SZ, JOB_PIPE);
	sink_open(st, fd);
	return true;
}

struct output *output_new(size_t bytes)
{
	struct output *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->cap = o->limit = bytes;
	o->ring = malloc(bytes ? bytes : 1);
	for (int i = 0; i < 2; i++)
		o->s[i].in = o->s[i].job_end = o->s[i].out = -1;
	if (!o->ring || !stream_init(&o->s[0], STDOUT_FILENO) ||
	    !stream_init(&o->s[1], STDERR_FILENO)) {
		int err = errno;
		output_free(o);
		errno = err;
		return NULL;
	}
	return o;
}

void output_job_ends(struct output *o, int fds[2])
{
	for (int i = 0; i < 2; i++) {
		fds[i] = o->s[i].job_end;
		o->s[i].job_end = -1;
	}
}

bool output_open(const struct output *o)
{
	return o->s[0].in >= 0 || o->s[1].in >= 0;
}

unsigned output_fds(const struct output *o, struct pollfd *fds)
{
	unsigned n = 0;
	for (int i = 0; i < 2; i++) {
		const struct stream *st = &o->s[i];
		/* Nothing more is read while a copy waits: back-pressure. */
		if ((st->len > 0 && st->kind != SINK_FILE) || st->full)
			fds[n++] = (struct pollfd){ st->out, POLLOUT, 0 };
		else if (st->in >= 0)
			fds[n++] = (struct pollfd){ st->in, POLLIN, 0 };
	}
	return n;
}

#ifdef __SSE2__
/* LEN bytes into the ring at TO, around the cache: a tail larger than the
 * cache would otherwise have every line read in before it is written,
 * which cost more than all the rest of the relay. */
static void ring_copy(char *to, const char *from, size_t len)
{
	size_t lead = (16 - ((uintptr_t)to & 15)) & 15;
	if (len < 256) {
		memcpy(to, from, len);
		return;
	}
	memcpy(to, from, lead);
	to += lead;
	from += lead;
	len -= lead;
	for (; len >= 64; len -= 64, to += 64, from += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)from);
		__m128i b = _mm_loadu_si128((const __m128i *)(from + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(from + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(from + 48));
		_mm_stream_si128((__m128i *)to, a);
		_mm_stream_si128((__m128i *)(to + 16), b);
		_mm_stream_si128((__m128i *)(to + 32), c);
		_mm_stream_si128((__m128i *)(to + 48), d);
	}
	memcpy(to, from, len);
	_mm_sfence();
}
#else
#define ring_copy memcpy
#endif

static void tail_add(struct output *o, const char *data, size_t len)
{
	if (o->cap == 0)
		return;
	if (len >= o->cap) {
		ring_copy(o->ring, data + len - o->cap, o->cap);
		o->head = 0;
		o->used = o->cap;
		return;
	}
	size_t at = (o->head + o->used) % o->cap;
	size_t first = o->cap - at < len ? o->cap - at : len;
	ring_copy(o->ring + at, data, first);
	ring_copy(o->ring, data + first, len - first);
	o->used += len;
	if (o->used > o->cap) {
		o->head = (o->head + o->used - o->cap) % o->cap;
		o->used = o->cap;
	}
}

/* One write of what waits, as far as the sink takes it without waiting
 * (a regular file: whole).  Returns bytes written, 0 for "not now", -1
 * when the sink has failed. */
static ssize_t sink_write(struct stream *st)
{
	const char *p = st->buf + st->off;
	size_t len = st->len;
	if (st->kind == SINK_SMALL) {
		if (!st->writable)
			return 0;
		st->writable = false;
		len = len > PIPE_BUF ? PIPE_BUF : len;
	}
	ssize_t n = st->kind == SINK_SOCKET
		? send(st->out, p, len, MSG_DONTWAIT | MSG_NOSIGNAL)
		: write(st->out, p, len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n < 0 ? -1 : n;
}

static void close_input(struct stream *st)
{
	if (st->in >= 0)
		close(st->in);
	st->in = -1;
	st->owed = 0;
}

/* N bytes were taken out of the job's pipe. */
static void taken(struct stream *st, size_t n)
{
	st->owed = n < st->owed ? st->owed - n : 0;
}

static void stop_copying(struct stream *st)
{
	if (st->kind == SINK_NONBLOCK || st->kind == SINK_TEE)
		close(st->out);
	st->out = -1;
	st->kind = SINK_NONE;
	st->off = st->len = 0;
	st->full = false;
}

/* The reader of this stream of hbrun's went away: the job learns it as it
 * would without hbrun, by SIGPIPE or EPIPE on its next write, once the
 * pipe has no reader either.  What was read is in the tail already. */
static void reader_gone(struct stream *st)
{
	stop_copying(st);
	close_input(st);
}

/* A poll found the sink in error (R): for a pipe or socket, its reader has
 * gone; for anything else (a terminal hung up) it failed. */
static void sink_broken(struct stream *st, short r)
{
	if ((r & (POLLERR | POLLHUP)) && st->piped)
		reader_gone(st);
	else
		stop_copying(st);
}

/* Whether a write's ERR says that nobody reads any more. */
static bool gone(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

static void flush(struct stream *st)
{
	while (st->len > 0) {
		if (st->kind == SINK_NONE) {
			st->off = st->len = 0;
			return;
		}
		ssize_t n = sink_write(st);
		if (n < 0 && gone(errno)) {
			reader_gone(st);
			return;
		}
		if (n < 0) {
			/* A failing output of hbrun's (a full disk, say):
			 * this stream is no longer copied, and still read. */
			stop_copying(st);
			return;
		}
		if (n == 0 && st->kind != SINK_FILE)
			return;
		st->off += (size_t)n;
		st->len -= (size_t)n;
	}
	st->off = 0;
}

/* One read of held output, straight into the held chunks, as much as
 * the pipe holds.  False when nothing can be held any more (it has been
 * written out) and the output passes through. */
static bool fill_held(struct output *o, struct stream *st)
{
	int fd = st == &o->s[0] ? 1 : 2;
	size_t room;
	char *to = held_room(o->held, fd, &room);
	if (!to) {
		o->held = NULL;
		return false;
	}
	ssize_t n;
	do
		n = read(st->in, to, room);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		tail_add(o, to, (size_t)n);
		taken(st, (size_t)n);
		held_commit(o->held, fd, (size_t)n);
	} else if (n == 0 || errno != EAGAIN) {
		close_input(st);
	}
	return true;
}

static void fill(struct output *o, struct stream *st)
{
	ssize_t n;
	if (o->held && fill_held(o, st))
		return;
	do
		n = read(st->in, st->buf, sizeof st->buf);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		tail_add(o, st->buf, (size_t)n);
		taken(st, (size_t)n);
		st->off = 0;
		st->len = (size_t)n;
		if (o->held && held_write(o->held, st == &o->s[0] ? 1 : 2,
					  st->buf, (size_t)n))
			st->len = 0;
		else if (o->held)
			o->held = NULL; /* spilled: passed through from now on */
	} else if (n == 0 || errno != EAGAIN) {
		close_input(st);
	}
}

/* Take N bytes from the job's pipe through the stream's buffer, which
 * stays in the cache, into the tail. */
static void tail_take(struct output *o, struct stream *st, size_t n)
{
	while (n > 0) {
		ssize_t got = read(st->in, st->buf, n < CHUNK ? n : CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			close(st->in);
			st->in = -1;
			return;
		}
		tail_add(o, st->buf, (size_t)got);
		n -= (size_t)got;
	}
}

/* Whether the job's pipe holds nothing now. */
static bool input_empty(const struct stream *st)
{
	int queued = 0;
	return ioctl(st->in, FIONREAD, &queued) == 0 && queued == 0;
}

/* The copy of a pipe into a pipe: tee() puts the job's bytes into hbrun's
 * output without taking them out of the job's pipe, and one read then
 * takes the same bytes into the tail.  Each byte is copied once, where
 * read and write would copy it twice and hold it in a buffer between. */
static void tee_fill(struct output *o, struct stream *st)
{
	ssize_t n;
	do
		n = tee(st->in, st->out, TEE_MAX, SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		taken(st, (size_t)n);
		tail_take(o, st, (size_t)n);
	} else if (n == 0) {
		close_input(st);
	} else if (errno == EAGAIN) {
		/* Either side can say so; only a full sink is waited on. */
		st->full = !input_empty(st);
	} else if (errno == EINVAL) {
		st->kind = SINK_NONBLOCK; /* a pipe tee() does not take */
		fill(o, st);
		flush(st);
	} else if (errno == EPIPE) {
		reader_gone(st);
	} else {
		stop_copying(st);
		fill(o, st);
	}
}

static short revents_of(const struct pollfd *fds, unsigned n, int fd,
			short events)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i].fd == fd && fds[i].events == events)
			return fds[i].revents;
	return 0;
}

static void tee_service(struct output *o, struct stream *st,
			const struct pollfd *fds, unsigned n)
{
	if (st->full) {
		short r = revents_of(fds, n, st->out, POLLOUT);
		if (r & (POLLERR | POLLHUP | POLLNVAL)) {
			sink_broken(st, r);
			return; /* a pipe still open is read next time round */
		}
		st->full = (r & POLLOUT) == 0;
		if (!st->full)
			tee_fill(o, st);
	} else if (st->in >= 0 && revents_of(fds, n, st->in, POLLIN)) {
		tee_fill(o, st);
	}
}

void output_service(struct output *o, const struct pollfd *fds, unsigned n)
{
	for (int i = 0; i < 2; i++) {
		struct stream *st = &o->s[i];
		/* A chunk read while the output was held is written first. */
		if (st->kind == SINK_TEE && !o->held && st->len == 0) {
			tee_service(o, st, fds, n);
			continue;
		}
		if (st->len > 0) {
			short r = revents_of(fds, n, st->out, POLLOUT);
			if (r & (POLLERR | POLLHUP | POLLNVAL))
				sink_broken(st, r);
			st->writable = (r & POLLOUT) != 0;
			flush(st);
		} else if (st->in >= 0 && revents_of(fds, n, st->in, POLLIN)) {
			fill(o, st);
			flush(st);
		}
	}
}

void output_hold(struct output *o, struct held *h)
{
	o->held = h;
}

void output_limit(struct output *o, size_t bytes)
{
	if (bytes < o->limit)
		o->limit = bytes;
}

void output_job_ended(struct output *o)
{
	for (int i = 0; i < 2; i++) {
		struct stream *st = &o->s[i];
		int queued = 0;
		if (st->in >= 0 && ioctl(st->in, FIONREAD, &queued) == 0 &&
		    queued > 0)
			st->owed = (size_t)queued;
	}
}

bool output_owed(const struct output *o)
{
	for (int i = 0; i < 2; i++) {
		const struct stream *st = &o->s[i];
		if ((st->in >= 0 && st->owed > 0) || st->len > 0 || st->full)
			return true;
	}
	return false;
}

void output_close(struct output *o)
{
	for (int i = 0; i < 2; i++) {
		close_input(&o->s[i]);
		stop_copying(&o->s[i]);
	}
}

const char *output_tail(struct output *o, size_t *len)
{
	size_t keep = o->used < o->limit ? o->used : o->limit;
	free(o->flat);
	o->flat = malloc(keep + 1);
	*len = 0;
	if (!o->flat)
		return NULL;
	/* KEEP is 0 whenever CAP is: the ring is only read when it holds
	 * something. */
	size_t cap = o->cap ? o->cap : 1;
	size_t from = (o->head + o->used - keep) % cap;
	for (size_t i = 0; i < keep; i++)
		o->flat[i] = o->ring[(from + i) % cap];
	o->flat[keep] = '\0';
	*len = keep;
	return o->flat;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	output_close(o);
	for (int i = 0; i < 2; i++)
		if (o->s[i].job_end >= 0)
			close(o->s[i].job_end);
	free(o->ring);
	free(o->flat);
	free(o);
}
