#include "held.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "nopipe.h"

#define COPY_MAX (1 << 20)
/* Chunks are gathered here and written to the file together: the job's
 * writes are often a few KiB each, and one write to a file per chunk cost
 * more than the whole relay of a chunk through a pipe.  Large writes let
 * the page cache take large pages: ext4 spent a third less per byte
 * written 512 KiB at a time than 64 KiB at a time (1 MiB saved little
 * more).  Its pages are touched only as far as the job's output reaches. */
#define BATCH HELD_BATCH

/* Each chunk in the file: this header, then its bytes. */
struct record {
	uint32_t len;
	uint32_t fd;
};

struct held {
	int fd;     /* the unnamed file, -1 once spent */
	off_t size; /* the whole records in it */
	bool spent;
	/* The file's last record, which later bytes of the same stream
	 * lengthen (one record, one copy when written back): where its
	 * header is (-1: none yet) and the header itself. */
	off_t last_at;
	struct record last;
	size_t used;       /* records in BATCH, after those in the file */
	size_t open;       /* where BATCH's last record begins */
	char batch[BATCH];
};

struct held *held_new(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	struct held *h = malloc(sizeof *h);
	if (!h)
		return NULL;
	h->size = 0;
	h->spent = false;
	h->used = h->open = 0;
	h->last_at = -1;
	/* Never named: nothing is left behind if hbrun is killed, and no
	 * other process can open it by a name. */
	h->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		int err = errno;
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

/* Write all of IOV (two parts) at the file's end; false on any failure. */
static bool append(struct held *h, struct iovec iov[2])
{
	off_t at = h->size;
	size_t left = iov[0].iov_len + iov[1].iov_len;
	while (left > 0) {
		ssize_t n = pwritev(h->fd, iov, iov[1].iov_len ? 2 : 1, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		at += n;
		left -= (size_t)n;
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t step = (size_t)n < iov[i].iov_len
				? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + step;
			iov[i].iov_len -= step;
			n -= (ssize_t)step;
		}
	}
	h->size = at;
	return true;
}

/* Whether a record for FD of LEN more bytes can be joined to LAST. */
static bool joins(const struct record *last, int fd, size_t len)
{
	return last->fd == (uint32_t)fd && len <= UINT32_MAX - last->len;
}

/* The file's last record's header, which grew in memory only: written
 * once a record follows it (the write-back reads it from memory). */
static bool seal(struct held *h)
{
	struct record rec = h->last;
	return h->last_at < 0 ||
	       pwrite(h->fd, &rec, sizeof rec, h->last_at) ==
		       (ssize_t)sizeof rec;
}

/* IOV (one record for stream FD, of BODY bytes, its header first, and
 * perhaps more records after it) at the file's end.  When the file's last
 * record is of the same stream, the header is left out and that record
 * grows instead.  A failure leaves the file's records as they were. */
static bool put(struct held *h, int fd, size_t body, struct iovec iov[2])
{
	off_t at = h->size;
	if (h->last_at >= 0 && joins(&h->last, fd, body)) {
		iov[0].iov_base = (char *)iov[0].iov_base + sizeof h->last;
		iov[0].iov_len -= sizeof h->last;
		if (!append(h, iov))
			return false;
		h->last.len += (uint32_t)body;
		return true;
	}
	if (!seal(h) || !append(h, iov))
		return false;
	h->last_at = at;
	h->last = (struct record){ (uint32_t)body, (uint32_t)fd };
	return true;
}

/* The batch into the file; false when the file cannot take it. */
static bool flush(struct held *h)
{
	if (!h->used)
		return true;
	struct record first, end;
	memcpy(&first, h->batch, sizeof first);
	memcpy(&end, h->batch + h->open, sizeof end);
	off_t at = h->size, prev_at = h->last_at;
	struct record prev = h->last;
	bool joined = h->last_at >= 0 && joins(&h->last, (int)first.fd,
						first.len);
	struct iovec iov[2] = { { h->batch, sizeof first + first.len },
				{ h->batch + sizeof first + first.len,
				  h->used - sizeof first - first.len } };
	if (!put(h, (int)first.fd, first.len, iov))
		return false;
	if (h->open > 0) {
		/* Several records: the batch's last is the file's last now,
		 * and the one the first joined is complete. */
		if (joined && !seal(h)) {
			h->size = at;
			h->last_at = prev_at;
			h->last = prev;
			return false;
		}
		h->last_at = at + (off_t)h->open -
			     (joined ? (off_t)sizeof first : 0);
		h->last = end;
	}
	h->used = h->open = 0;
	return true;
}

/* Whether the batch's last record is of stream FD and can grow by a
 * whole batch. */
static bool open_joins(const struct held *h, int fd, struct record *open)
{
	if (!h->used)
		return false;
	memcpy(open, h->batch + h->open, sizeof *open);
	return joins(open, fd, BATCH);
}

/* Where LEN more bytes of stream FD go in the batch (after a header of
 * their own unless they join its last record), the batch written to the
 * file first when they do not fit; NULL when the file cannot take it. */
static char *slot(struct held *h, int fd, size_t len)
{
	struct record open;
	size_t head = open_joins(h, fd, &open) ? 0 : sizeof open;
	if (BATCH - h->used < head + len) {
		if (!flush(h))
			return NULL;
		head = sizeof open;
	}
	return h->batch + h->used + head;
}

/* One record of LEN bytes (at most UINT32_MAX) for stream FD, into the
 * batch (joined to its last record when of the same stream) or, when it
 * does not fit there, straight into the file. */
static bool keep(struct held *h, int fd, const char *data, size_t len)
{
	struct record rec = { (uint32_t)len, (uint32_t)fd };
	if (sizeof rec + len > BATCH) {
		struct iovec iov[2] = { { &rec, sizeof rec },
					{ (void *)data, len } };
		return flush(h) && put(h, fd, len, iov);
	}
	char *to = slot(h, fd, len);
	if (!to)
		return false;
	memcpy(to, data, len);
	held_commit(h, fd, len);
	return true;
}

/* The file cannot take more: what it held goes out now. */
static void give_up(struct held *h)
{
	/* A record cut short is past SIZE: never replayed. */
	msg_warn("cannot hold the job's output any longer (%m); what was "
		 "held is written now, and the rest passes through");
	held_spill(h);
}

bool held_write(struct held *h, int fd, const char *data, size_t len)
{
	if (h->spent)
		return false;
	while (len > 0) {
		size_t part = len > UINT32_MAX ? UINT32_MAX : len;
		if (!keep(h, fd, data, part)) {
			give_up(h);
			return false;
		}
		data += part;
		len -= part;
	}
	return true;
}

char *held_room(struct held *h, int fd, size_t *room)
{
	if (h->spent)
		return NULL;
	char *to = slot(h, fd, HELD_ROOM_MIN);
	if (!to) {
		give_up(h);
		return NULL;
	}
	*room = (size_t)(h->batch + BATCH - to);
	return to;
}

void held_commit(struct held *h, int fd, size_t len)
{
	struct record open;
	if (open_joins(h, fd, &open)) {
		open.len += (uint32_t)len;
		memcpy(h->batch + h->open, &open, sizeof open);
	} else {
		struct record rec = { (uint32_t)len, (uint32_t)fd };
		h->open = h->used;
		memcpy(h->batch + h->used, &rec, sizeof rec);
		h->used += sizeof rec;
	}
	h->used += len;
}

/* Wait until FD takes more: hbrun's stdout may be non-blocking, set so by
 * whoever shares it. */
static void wait_writable(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	poll(&p, 1, -1);
}

/* LEN bytes of the file from *AT on to FD; false when FD has failed. */
static bool copy_out(struct held *h, int fd, off_t *at, size_t len)
{
	static char buf[65536];
	bool plain = false; /* sendfile() refused this FD */
	while (len > 0) {
		size_t step = len > COPY_MAX ? COPY_MAX : len;
		ssize_t n;
		if (!plain) {
			n = sendfile(fd, h->fd, at, step);
			if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
				plain = true;
				continue;
			}
		} else {
			n = pread(h->fd, buf, step < sizeof buf ? step : sizeof buf, *at);
			if (n > 0)
				n = write(fd, buf, (size_t)n);
			if (n > 0)
				*at += n;
		}
		if (n < 0 && errno == EAGAIN)
			wait_writable(fd);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n <= 0)
			return false;
		else
			len -= (size_t)n;
	}
	return true;
}

/* LEN bytes of DATA on to FD; false when FD has failed. */
static bool write_out(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EAGAIN)
			wait_writable(fd);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n <= 0)
			return false;
		else {
			data += n;
			len -= (size_t)n;
		}
	}
	return true;
}

/* Every record, in order, each to its stream while that stream lasts:
 * those in the file, then those in the batch. */
static void replay(struct held *h)
{
	bool dead[3] = { false, false, false };
	off_t at = 0;
	while (at < h->size) {
		struct record rec = h->last;
		if (at != h->last_at &&
		    pread(h->fd, &rec, sizeof rec, at) != (ssize_t)sizeof rec)
			break;
		at += (off_t)sizeof rec;
		int fd = rec.fd == 2 ? 2 : 1;
		off_t from = at;
		if (!dead[fd] && !copy_out(h, fd, &from, rec.len))
			dead[fd] = true; /* its reader is gone */
		at += rec.len;
	}
	for (size_t i = 0; i < h->used;) {
		struct record rec;
		memcpy(&rec, h->batch + i, sizeof rec);
		i += sizeof rec;
		int fd = rec.fd == 2 ? 2 : 1;
		if (!dead[fd] && !write_out(fd, h->batch + i, rec.len))
			dead[fd] = true;
		i += rec.len;
	}
}

void held_spill(struct held *h)
{
	if (h->fd < 0)
		return;
	/* A stream whose reader is gone must not end hbrun. */
	struct nopipe guard;
	nopipe_begin(&guard);
	replay(h);
	nopipe_end(&guard);
	/* Its blocks go back to the disk at once. */
	close(h->fd);
	h->fd = -1;
	h->used = 0;
	h->spent = true;
}

bool held_spent(const struct held *h)
{
	return h->spent;
}

void held_free(struct held *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}
