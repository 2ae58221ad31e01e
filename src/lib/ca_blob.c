#include "ca_blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* PATH opened as file_open_regular() opens it, and not too large.  Returns
 * the descriptor, or -1 with *ERR set to an error code of
 * ca_blob_append(). */
static int open_regular(const char *path, off_t *size, int *err)
{
	struct stat st;
	int fd = file_open_regular(path, &st, err);
	if (fd < 0)
		return -1;
	if (st.st_size > (off_t)CA_FILE_MAX) {
		*err = CA_TOO_LARGE;
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* Read FD to its end into BUF, which has room for CAP bytes.  Returns the
 * length read, or -1 with *ERR set; a file that fills CAP grew after it
 * was measured. */
static ssize_t read_all(int fd, char *buf, size_t cap, int *err)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			return n < 0 ? -1 : (ssize_t)len;
		}
		len += (size_t)n;
		if (len == cap) {
			*err = CA_CHANGED;
			return -1;
		}
	}
}

int ca_blob_append(struct ca_blob *blob, const char *path)
{
	int err = 0;
	off_t size = 0;
	int fd = open_regular(path, &size, &err);
	if (fd < 0)
		return err;
	/* One byte more than its size, to see a file that grew; then the
	 * newline and a terminating NUL. */
	size_t cap = (size_t)size + 1;
	char *grown = realloc(blob->data, blob->len + cap + 2);
	if (!grown) {
		close(fd);
		return ENOMEM;
	}
	blob->data = grown;
	ssize_t n = read_all(fd, grown + blob->len, cap, &err);
	close(fd);
	if (n < 0)
		return err;
	blob->len += (size_t)n;
	blob->data[blob->len++] = '\n';
	blob->data[blob->len] = '\0';
	return 0;
}

const char *ca_blob_error(int code)
{
	switch (code) {
	case CA_NOT_REGULAR:
		return "not a regular file";
	case CA_TOO_LARGE:
		return "larger than 4 MiB";
	case CA_CHANGED:
		return "changed while it was read";
	default:
		return strerror(code);
	}
}
