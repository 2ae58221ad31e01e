#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca_blob.h"
#include "unit.h"

static const char *scratch_path(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/%s", scratch_dir(), name);
	return path;
}

START_TEST(files_are_appended_each_ending_a_line)
{
	struct ca_blob b = { 0 };
	ck_assert_int_eq(ca_blob_append(&b, scratch_file("a.pem", "AAA", 0644)), 0);
	ck_assert_int_eq(ca_blob_append(&b, scratch_file("b.pem", "BB\n", 0644)), 0);
	ck_assert_uint_eq(b.len, strlen("AAA\nBB\n\n"));
	ck_assert_str_eq(b.data, "AAA\nBB\n\n");
	free(b.data);
}
END_TEST

START_TEST(symbolic_link_is_followed)
{
	struct ca_blob b = { 0 };
	const char *target = scratch_file("target.pem", "CERT", 0644);
	char link[4096];
	snprintf(link, sizeof link, "%s", scratch_path("link.pem"));
	unlink(link);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(ca_blob_append(&b, link), 0);
	ck_assert_str_eq(b.data, "CERT\n");
	free(b.data);
}
END_TEST

START_TEST(fifo_is_refused_without_blocking)
{
	/* Nobody writes to it: a blocking open would never return. */
	const char *fifo = scratch_path("ca.fifo");
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct ca_blob b = { 0 };
	ck_assert_int_eq(ca_blob_append(&b, fifo), CA_NOT_REGULAR);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(folder_and_device_are_refused)
{
	struct ca_blob b = { 0 };
	ck_assert_int_eq(ca_blob_append(&b, scratch_dir()), CA_NOT_REGULAR);
	ck_assert_int_eq(ca_blob_append(&b, "/dev/null"), CA_NOT_REGULAR);
	ck_assert_str_eq(ca_blob_error(CA_NOT_REGULAR), "not a regular file");
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(missing_file_is_enoent)
{
	struct ca_blob b = { 0 };
	ck_assert_int_eq(ca_blob_append(&b, scratch_path("no-such.pem")), ENOENT);
	ck_assert_str_eq(ca_blob_error(ENOENT), strerror(ENOENT));
}
END_TEST

START_TEST(too_large_is_refused_and_blob_kept)
{
	struct ca_blob b = { 0 };
	ck_assert_int_eq(ca_blob_append(&b, scratch_file("ok.pem", "OK", 0644)), 0);
	const char *big = scratch_file("big.pem", "", 0644);
	ck_assert_int_eq(truncate(big, (off_t)CA_FILE_MAX + 1), 0);
	ck_assert_int_eq(ca_blob_append(&b, big), CA_TOO_LARGE);
	ck_assert_str_eq(ca_blob_error(CA_TOO_LARGE), "larger than 4 MiB");
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.data, "OK\n");
	ck_assert_int_eq(truncate(big, (off_t)CA_FILE_MAX), 0);
	ck_assert_int_eq(ca_blob_append(&b, big), 0);
	ck_assert_uint_eq(b.len, 3 + CA_FILE_MAX + 1);
	free(b.data);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ca_blob");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, files_are_appended_each_ending_a_line);
	tcase_add_test(tc, symbolic_link_is_followed);
	tcase_add_test(tc, fifo_is_refused_without_blocking);
	tcase_add_test(tc, folder_and_device_are_refused);
	tcase_add_test(tc, missing_file_is_enoent);
	tcase_add_test(tc, too_large_is_refused_and_blob_kept);
	suite_add_tcase(s, tc);
	return s;
}
