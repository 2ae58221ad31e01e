/* Shared by the fuzz targets in tests/fuzz.
 *
 * Each target defines LLVMFuzzerTestOneInput() (and may define
 * LLVMFuzzerInitialize()).  Built with -Dfuzz=true and clang, libFuzzer
 * drives it; in every other build replay.c's main() runs it over the seed
 * corpus and the crash regressions, so those inputs are tested everywhere.
 * The targets call hbrun's own code, from the same sources as hbrun. */
#ifndef HBRUN_FUZZ_H
#define HBRUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property of hbrun's code that an input broke: a crash for libFuzzer,
 * which then keeps the input. */
#define FUZZ_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: property broken: %s\n",       \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* The input cut into at most MAX NUL-ended fields at each SEP byte; the
 * fields point into one malloc'd copy, *COPY, to be freed by the caller.
 * Returns the number of fields (at least 1). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, char sep,
				char **fields, size_t max, char **copy)
{
	char *c = malloc(size + 1);
	if (!c)
		abort();
	if (size)
		memcpy(c, data, size);
	c[size] = '\0';
	size_t n = 0;
	fields[n++] = c;
	for (size_t i = 0; i < size && n < max; i++) {
		if (c[i] == sep) {
			c[i] = '\0';
			fields[n++] = c + i + 1;
		}
	}
	*copy = c;
	return n;
}

#endif
