#include "out.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX 24

/* The length of the bidirectional formatting character P starts with
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), else 0: each
 * can turn the text after it around on the terminal, so that a name shows
 * as something else. */
static size_t bidi_len(const unsigned char *p)
{
	if (p[0] == 0xd8 && p[1] == 0x9c)
		return 2;
	if (p[0] != 0xe2 || !p[1] || !p[2])
		return 0;
	if (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
			     (p[2] >= 0xaa && p[2] <= 0xae)))
		return 3;
	return p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9 ? 3 : 0;
}

char *out_clean(const char *s)
{
	char *copy = strdup(s ? s : "-");
	if (!copy)
		return NULL;
	char *o = copy;
	for (const unsigned char *p = (const unsigned char *)copy; *p; p++) {
		size_t bidi = bidi_len(p); /* before O writes over P */
		if (*p < 0x20 || *p == 0x7f) {
			*o++ = '?';
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* U+0080-U+009F: 8-bit controls, CSI among them. */
			*o++ = '?';
			p++;
		} else if (bidi) {
			*o++ = '?';
			p += bidi - 1;
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	return copy;
}

size_t out_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80) /* not a continuation */
			n++;
	return n;
}

static void put_padded(FILE *out, const char *s, size_t width, bool last)
{
	fputs(s, out);
	if (last)
		return;
	for (size_t w = out_width(s); w < width + 2; w++)
		fputc(' ', out);
}

/* S as a table shows it: cleaned, trailing spaces dropped (in the last
 * column they would end the line in white space, and nowhere can they be
 * seen), and "-" when nothing is left, as for a missing value. */
static char *table_cell(const char *s)
{
	char *cell = out_clean(s);
	if (!cell)
		return NULL;
	size_t len = strlen(cell);
	while (len > 0 && cell[len - 1] == ' ')
		cell[--len] = '\0';
	if (len > 0)
		return cell;
	free(cell);
	return out_clean(NULL);
}

void out_table(FILE *out, size_t cols, size_t rows, const char *const *cells)
{
	size_t total = cols * rows;
	char **clean = calloc(total ? total : 1, sizeof *clean);
	size_t *width = calloc(cols ? cols : 1, sizeof *width);
	for (size_t i = 0; clean && width && i < total; i++) {
		clean[i] = table_cell(cells[i]);
		size_t w = clean[i] ? out_width(clean[i]) : 0;
		if (w > width[i % cols])
			width[i % cols] = w;
	}
	for (size_t r = 0; clean && width && r < rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			const char *cell = clean[r * cols + c];
			put_padded(out, cell ? cell : "?", width[c],
				   c + 1 == cols);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; clean && i < total; i++)
		free(clean[i]);
	free(clean);
	free(width);
}

/* N as text into BUF, or NULL (shown "-") when the API gave none. */
static const char *number(long long n, char buf[NUMBER_MAX])
{
	if (n < 0)
		return NULL;
	snprintf(buf, NUMBER_MAX, "%lld", n);
	return buf;
}

enum { HB_COLS = 8 };

void out_heartbeats(FILE *out, const struct heartbeat *hb, size_t n)
{
	static const char *const header[HB_COLS] = {
		"ID", "NAME", "STATUS", "INTERVAL", "GRACE", "MISSES",
		"LAST PING", "NEXT EXPECTED",
	};
	const char **cells = calloc((n + 1) * HB_COLS, sizeof *cells);
	char (*numbers)[3][NUMBER_MAX] = calloc(n ? n : 1, sizeof *numbers);
	if (!cells || !numbers) {
		free(cells);
		free(numbers);
		return;
	}
	memcpy(cells, header, sizeof header);
	for (size_t i = 0; i < n; i++) {
		const char **row = cells + (i + 1) * HB_COLS;
		row[0] = hb[i].id;
		row[1] = hb[i].name;
		row[2] = hb[i].status;
		row[3] = number(hb[i].interval_secs, numbers[i][0]);
		row[4] = number(hb[i].grace_secs, numbers[i][1]);
		row[5] = number(hb[i].consecutive_misses, numbers[i][2]);
		row[6] = hb[i].last_pinged_at;
		row[7] = hb[i].next_expected_at;
	}
	out_table(out, HB_COLS, n + 1, cells);
	free(cells);
	free(numbers);
}

void out_pings(FILE *out, const struct ping_record *p, size_t n)
{
	const char **cells = calloc((n + 1) * 2, sizeof *cells);
	if (!cells)
		return;
	cells[0] = "ID";
	cells[1] = "PINGED AT";
	for (size_t i = 0; i < n; i++) {
		cells[(i + 1) * 2] = p[i].id;
		cells[(i + 1) * 2 + 1] = p[i].pinged_at;
	}
	out_table(out, 2, n + 1, cells);
	free(cells);
}

enum { HB_KEYS = 12 };

void out_heartbeat(FILE *out, const struct heartbeat *hb, const char *ping_url)
{
	char numbers[3][NUMBER_MAX];
	const char *const line[HB_KEYS][2] = {
		{ "id:", hb->id },
		{ "name:", hb->name },
		{ "status:", hb->status },
		{ "interval_secs:", number(hb->interval_secs, numbers[0]) },
		{ "grace_secs:", number(hb->grace_secs, numbers[1]) },
		{ "consecutive_misses:",
		  number(hb->consecutive_misses, numbers[2]) },
		{ "last_pinged_at:", hb->last_pinged_at },
		{ "next_expected_at:", hb->next_expected_at },
		{ "created_at:", hb->created_at },
		{ "updated_at:", hb->updated_at },
		{ "token:", hb->token },
		{ "ping_url:", ping_url },
	};
	/* Without a ping URL there is no line for it. */
	size_t rows = ping_url ? HB_KEYS : HB_KEYS - 1;
	out_table(out, 2, rows, &line[0][0]);
}

void out_body(FILE *out, const char *body, size_t len)
{
	if (len == 0)
		return;
	fwrite(body, 1, len, out);
	if (body[len - 1] != '\n')
		fputc('\n', out);
}
