/* URL templates: "{field}" marks filled in with URL-escaped values.
 *
 * Pure: no allocation but the filled URL, no libcurl, no messages. */
#ifndef HBRUN_TEMPLATE_H
#define HBRUN_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

enum template_field {
	FIELD_TOKEN,
	FIELD_RUN_ID,
	FIELD_EXIT_STATUS,
	FIELD_DURATION_MS,
	FIELD_MESSAGE,
	FIELD_MONITOR,
	FIELD_HOSTNAME,
	FIELD_DURATION_S,
	FIELD_MAX_RSS_KB,
	FIELD_CPU_MS,
	FIELD_COUNT
};

/* The values, each raw (escaped when filled in); NULL fills in nothing. */
struct template_values {
	const char *v[FIELD_COUNT];
};

/* Whether TEMPLATE is well formed: every "{" starts a known field or is
 * doubled ("{{", a literal brace).  When not, *BAD (if given) points at
 * the first offending "{". */
bool template_valid(const char *template, const char **bad);

/* Whether TEMPLATE (valid) uses FIELD. */
bool template_uses(const char *template, enum template_field field);

/* TEMPLATE with every field replaced by its value, percent-escaped so that
 * only A-Z a-z 0-9 - _ . ~ stand as they are; "{{" becomes "{".  A
 * malloc'd string, or NULL for an invalid template or no memory. */
char *template_fill(const char *template, const struct template_values *vals);

/* S percent-escaped as template_fill() escapes a value; malloc'd. */
char *template_escape(const char *s);

/* TEXT with every "{" doubled: a literal part of a template. */
char *template_literal(const char *text);

#endif
