/* CA certificates read into memory, to be handed to libcurl as a blob.
 *
 * hbrun reads a CA file itself rather than naming it to libcurl: the file
 * is checked to be a regular file on the very descriptor it is read from,
 * so a FIFO swapped in after a check can never hold up the ping. */
#ifndef HBRUN_CA_BLOB_H
#define HBRUN_CA_BLOB_H

#include <stddef.h>

/* A file larger than this is not a CA bundle anyone meant. */
#define CA_FILE_MAX (4u << 20)

struct ca_blob {
	char *data; /* PEM text, NULL while empty; the caller frees it */
	size_t len;
};

/* The errors of ca_blob_append() that are not errno values. */
enum {
	CA_NOT_REGULAR = -1, /* a FIFO, socket, device or folder (FILE_NOT_REGULAR) */
	CA_TOO_LARGE = -2,   /* over CA_FILE_MAX */
	CA_CHANGED = -3,     /* grew while it was read */
};

/* Append the whole of the regular file PATH to BLOB, then a newline, so
 * that a bundle missing its last newline does not run into the next one.
 * Symbolic links are followed.  Returns 0 when done, else an errno value
 * (ENOENT: there is no such file) or one of the codes above, with BLOB's
 * contents as they were. */
int ca_blob_append(struct ca_blob *blob, const char *path);

/* Words for an error code of ca_blob_append(). */
const char *ca_blob_error(int code);

#endif
