#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int saved_stderr = -1;
static char capture_path[] = "/tmp/hbrun-unit-capture-XXXXXX";
static char scratch[] = "/tmp/hbrun-unit-XXXXXX";
static int scratch_made;

void capture_begin(void)
{
	int fd = mkstemp(capture_path);
	ck_assert_int_ge(fd, 0);
	unlink(capture_path);
	memcpy(capture_path + strlen(capture_path) - 6, "XXXXXX", 6);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

const char *capture_end(void)
{
	static char buf[8192];
	off_t len = lseek(2, 0, SEEK_CUR);
	lseek(2, 0, SEEK_SET);
	ssize_t n = read(2, buf, len < (off_t)sizeof buf - 1 ? (size_t)len
							     : sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	dup2(saved_stderr, 2);
	close(saved_stderr);
	return buf;
}

static void remove_scratch(void)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
}

const char *scratch_dir(void)
{
	if (!scratch_made) {
		ck_assert_ptr_nonnull(mkdtemp(scratch));
		scratch_made = 1;
		atexit(remove_scratch);
	}
	return scratch;
}

const char *scratch_file(const char *name, const char *text, int mode)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/%s", scratch_dir(), name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
	return path;
}

int main(void)
{
	SRunner *runner = srunner_create(unit_suite());
	/* check's default fork mode: each test in a process of its own, so
	 * exit and signal tests can run and no test sees another's state. */
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
