#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "held.h"
#include "unit.h"

/* One write the job makes: LEN bytes on stream FD. */
struct step {
	int fd;
	size_t len;
};

#define BIG (HELD_BATCH + 3000) /* more than the batch: straight into the file */
#define B HELD_BATCH

/* Sequences of writes; each is held, then written back with both streams
 * going into one file, which must then hold every byte in the order
 * written. */
static const struct {
	const char *name;
	struct step steps[8];
	unsigned repeat; /* the steps over again, this many times */
} cases[] = {
	{ "one chunk", { { 1, 10 } }, 1 },
	{ "small chunks in turn", { { 1, 1000 }, { 2, 370 } }, 1500 },
	{ "one stream, across batches", { { 1, 10000 } }, 300 },
	{ "one stream, big and small", { { 1, BIG }, { 1, 5 }, { 1, BIG },
					 { 1, B - 500 } }, 3 },
	{ "big ones in turn", { { 1, BIG }, { 2, BIG } }, 4 },
	{ "small, then big of the other", { { 1, 7 }, { 2, BIG }, { 2, 9 },
					    { 1, BIG }, { 1, 3 } }, 3 },
	{ "the batch filled exactly", { { 1, B - 8 }, { 2, B - 8 }, { 2, 1 },
				       { 1, B - 16 }, { 1, 8 } }, 3 },
	{ "a joined chunk that just fits", { { 2, 30000 }, { 2, B - 30008 },
					     { 1, 1 } }, 5 },
};

static char byte_at(size_t i)
{
	return (char)((i * 2654435761u) >> 13);
}

/* LEN bytes of DATA for stream FD, read into held_room() as hbrun reads
 * a pipe into it: as much as there is room for at a time. */
static void put_by_room(struct held *h, int fd, const char *data, size_t len)
{
	while (len > 0) {
		size_t room;
		char *to = held_room(h, fd, &room);
		ck_assert_ptr_nonnull(to);
		ck_assert_uint_ge(room, HELD_ROOM_MIN);
		size_t n = len < room ? len : room;
		memcpy(to, data, n);
		held_commit(h, fd, n);
		data += n;
		len -= n;
	}
}

/* Every case's bytes, written back into one file, come out as written;
 * with BY_ROOM, every other write goes through held_room(). */
static void check_case(int _i, bool by_room)
{
	size_t total = 0;
	for (unsigned r = 0; r < cases[_i].repeat; r++)
		for (int s = 0; s < 8 && cases[_i].steps[s].len; s++)
			total += cases[_i].steps[s].len;
	char *data = malloc(total);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < total; i++)
		data[i] = byte_at(i);

	setenv("TMPDIR", scratch_dir(), 1);
	struct held *h = held_new();
	ck_assert_ptr_nonnull(h);
	size_t at = 0;
	unsigned k = 0;
	for (unsigned r = 0; r < cases[_i].repeat; r++)
		for (int s = 0; s < 8 && cases[_i].steps[s].len; s++) {
			const struct step *st = &cases[_i].steps[s];
			if (by_room && k++ % 2)
				put_by_room(h, st->fd, data + at, st->len);
			else
				ck_assert(held_write(h, st->fd, data + at, st->len));
			at += st->len;
		}

	FILE *out = tmpfile();
	ck_assert_ptr_nonnull(out);
	int saved[2] = { dup(1), dup(2) };
	dup2(fileno(out), 1);
	dup2(fileno(out), 2);
	held_spill(h);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	ck_assert(held_spent(h));
	held_free(h);

	char *back = malloc(total + 1);
	ck_assert_ptr_nonnull(back);
	ssize_t n = pread(fileno(out), back, total + 1, 0);
	ck_assert_msg(n == (ssize_t)total, "%s: %zd bytes of %zu",
		      cases[_i].name, n, total);
	ck_assert_msg(memcmp(back, data, total) == 0, "%s: bytes differ",
		      cases[_i].name);
	fclose(out);
	free(back);
	free(data);
}

START_TEST(written_back_in_the_order_read)
{
	check_case(_i, false);
}
END_TEST

START_TEST(read_into_its_room_and_written_back_in_order)
{
	check_case(_i, true);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("held");
	TCase *tc = tcase_create("held");
	tcase_add_loop_test(tc, written_back_in_the_order_read, 0,
			    sizeof cases / sizeof *cases);
	tcase_add_loop_test(tc, read_into_its_room_and_written_back_in_order,
			    0, sizeof cases / sizeof *cases);
	suite_add_tcase(s, tc);
	return s;
}
