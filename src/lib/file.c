#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int file_open_regular(const char *path, struct stat *st, int *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		*err = S_ISREG(st->st_mode) ? errno : FILE_NOT_REGULAR;
		close(fd);
		return -1;
	}
	*err = 0;
	return fd;
}

const char *file_error(int err)
{
	return err == FILE_NOT_REGULAR ? "not a regular file" : strerror(err);
}
