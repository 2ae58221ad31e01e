/* Fuzz target: the config-file edit of hbctl sync (conf_insert).
 *
 * Input: a config file's text.  A token is added to its section [job].
 *
 * Checked: refused only with a reason; otherwise the new text is the old
 * one with bytes added at one place and nowhere else: the old text's
 * beginning up to there and its end after it come back byte for byte, and
 * what was added is short and holds one more token line of ours (with at
 * most a newline ending an unended last line and, where there was no
 * [job], that header). */
#include <stdbool.h>

#include "conf_edit.h"
#include "fuzz.h"

/* How many token lines of ours TEXT holds. */
static size_t count(const char *text, size_t len)
{
	size_t n = 0;
	for (const char *p = text; (p = memmem(p, len - (size_t)(p - text),
					      "token = T0K3N", 13)); p++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *out = NULL;
	size_t len = 0;
	const char *why = NULL;
	bool ok = conf_insert(text, size, "job", "T0K3N", &out, &len, &why);
	if (!ok) {
		FUZZ_ASSERT(why != NULL);
		return 0;
	}
	FUZZ_ASSERT(len > size);
	size_t head = 0;
	while (head < size && out[head] == text[head])
		head++;
	size_t tail = 0;
	while (tail < size - head && out[len - 1 - tail] == text[size - 1 - tail])
		tail++;
	FUZZ_ASSERT(head + tail == size);
	FUZZ_ASSERT(len - size <= 32);
	FUZZ_ASSERT(count(out, len) == count(text, size) + 1);
	free(out);
	return 0;
}
