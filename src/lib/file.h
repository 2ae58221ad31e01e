/* Opening the files hbrun reads (config, token and CA files): only regular
 * ones, and never in a way that can block. */
#ifndef HBRUN_FILE_H
#define HBRUN_FILE_H

#include <sys/stat.h>

/* What file_open_regular() says of a path that is not a regular file. */
#define FILE_NOT_REGULAR (-1)

/* PATH opened read-only when it is a regular file, judged with fstat on the
 * descriptor itself (a symbolic link is followed and its target judged), so
 * nothing can be swapped in after the check.  The open is non-blocking: a
 * FIFO that nobody writes must not hold anything up.  Returns the
 * descriptor with *ST filled, or -1 with *ERR an errno value or
 * FILE_NOT_REGULAR. */
int file_open_regular(const char *path, struct stat *st, int *err);

/* Words for an *ERR of file_open_regular(). */
const char *file_error(int err);

#endif
