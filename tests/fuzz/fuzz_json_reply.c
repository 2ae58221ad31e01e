/* Fuzz target: a JSON reply of the API as hbctl reads and shows it.
 *
 * Input: the reply body.  It goes through every reader of heartbeat.h
 * (a heartbeat, a ping, the lists under "heartbeats" and "pings", the text
 * of an error) and every printer of out.h (hbctl) that a reply reaches
 * (tables, key: value lines, --json), into a memory stream.  jansson is not
 * instrumented: libFuzzer's guidance sees hbctl's side.
 *
 * Checked: what is printed holds no control character but the newline,
 * neither C0, DEL nor C1 (a name must not move the cursor or forge a line);
 * table lines end without white space; a list read has as many entries as
 * the reply's array; the error text is NUL-ended within its buffer. */
#include <stdbool.h>

#include "fuzz.h"
#include "out.h"
#include "heartbeat.h"

static void check_printed(const char *text, size_t len, bool table)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		FUZZ_ASSERT(c >= 0x20 || c == '\n');
		FUZZ_ASSERT(c != 0x7f);
		/* C1 controls, U+0080 to U+009F, are 0xC2 0x80-0x9F in UTF-8. */
		if (c == 0xc2 && i + 1 < len)
			FUZZ_ASSERT((unsigned char)text[i + 1] < 0x80 ||
				    (unsigned char)text[i + 1] > 0x9f);
		if (table && c == '\n' && i > 0)
			FUZZ_ASSERT(text[i - 1] != ' ');
	}
}

typedef void (*printer)(FILE *out, const void *arg, size_t n);

static void print_heartbeats(FILE *out, const void *arg, size_t n)
{
	out_heartbeats(out, arg, n);
}

static void print_pings(FILE *out, const void *arg, size_t n)
{
	out_pings(out, arg, n);
}

static void print_one(FILE *out, const void *arg, size_t n)
{
	(void)n;
	out_heartbeat(out, arg, "https://api.tickstem.dev/v1/heartbeats/x/ping");
}

static void print_checked(printer p, const void *arg, size_t n, bool table)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		abort();
	p(out, arg, n);
	fclose(out);
	check_printed(text, len, table);
	free(text);
}

static size_t array_size_under(const json_t *root, const char *key)
{
	return json_array_size(json_object_get(root, key));
}

static void read_and_print(const json_t *root)
{
	struct heartbeat hb;
	if (heartbeat_read(root, &hb))
		print_checked(print_one, &hb, 1, false);
	struct ping_record pr;
	(void)ping_read(root, &pr);

	struct heartbeat *hbs;
	size_t n;
	if (heartbeat_list_read(root, &hbs, &n)) {
		FUZZ_ASSERT(n == array_size_under(root, "heartbeats"));
		FUZZ_ASSERT((n == 0) == (hbs == NULL));
		print_checked(print_heartbeats, hbs, n, true);
		free(hbs);
	}
	struct ping_record *ps;
	if (ping_list_read(root, &ps, &n)) {
		FUZZ_ASSERT(n == array_size_under(root, "pings"));
		FUZZ_ASSERT((n == 0) == (ps == NULL));
		print_checked(print_pings, ps, n, true);
		free(ps);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The body as http.c keeps it: NUL-ended, and the length apart. */
	char *body = malloc(size + 1);
	if (!body)
		abort();
	memcpy(body, data, size);
	body[size] = '\0';

	json_t *root = json_from_body(body, size);
	if (root)
		read_and_print(root);
	json_decref(root);

	char said[256];
	memset(said, 'Z', sizeof said);
	error_text(body, size, said, sizeof said);
	FUZZ_ASSERT(memchr(said, '\0', sizeof said));
	error_text(body, size, said, 1);
	FUZZ_ASSERT(said[0] == '\0');

	char *json_out = NULL;
	size_t json_len = 0;
	FILE *out = open_memstream(&json_out, &json_len);
	if (!out)
		abort();
	out_body(out, body, size);
	fclose(out);
	FUZZ_ASSERT(json_len >= size && json_len <= size + 1);
	FUZZ_ASSERT(json_len == 0 || json_out[json_len - 1] == '\n');
	free(json_out);
	free(body);
	return 0;
}
