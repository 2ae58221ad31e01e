/* Zones from TZif files (see tz.h for why not localtime_r). */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TZ_LAST_YEAR 2200
#define TZ_FILE_MAX (1 << 20)

struct tz_zone {
	struct tz_zone *next;
	char *name;
	int32_t first_off;  /* before the first change */
	size_t n, cap;
	int64_t *at;        /* the changes, ascending */
	int32_t *off;       /* the offset from each change on */
	int32_t lo, hi;
	bool fixed;
};

/* A rule of the closing TZ string: when in the year a change happens. */
struct tz_rule {
	char kind;          /* 'J', 'n' or 'M' */
	int a, b, c;        /* Jn / n / Mm.w.d */
	int32_t time;       /* seconds after local midnight */
};

struct tz_posix {
	int32_t std_off, dst_off;
	bool has_dst;
	struct tz_rule start, end;
};

static struct tz_zone *zones; /* every zone loaded, kept for the process */

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int tz_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tz_month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* "WHAT NAME WHY", or nothing where no one asked. */
static void set_err(char *err, size_t errlen, const char *what, const char *name,
		    const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s", what, name, why);
}

static int push(struct tz_zone *z, int64_t at, int32_t off)
{
	int32_t before = z->n ? z->off[z->n - 1] : z->first_off;
	if (off == before)
		return 0; /* a change of name or of isdst alone moves no clock */
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 64;
		int64_t *at2 = realloc(z->at, cap * sizeof *at2);
		if (!at2)
			return -1;
		z->at = at2;
		int32_t *off2 = realloc(z->off, cap * sizeof *off2);
		if (!off2)
			return -1;
		z->off = off2;
		z->cap = cap;
	}
	z->at[z->n] = at;
	z->off[z->n] = off;
	z->n++;
	return 0;
}

/* --- the closing TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") --- */

static const char *posix_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e && e - p >= 2 ? e + 1 : NULL;
	}
	const char *s = p;
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (a rule's time may pass midnight). */
static const char *posix_hms(const char *p, int32_t *out)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	long part[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			return NULL;
		char *end;
		part[i] = strtol(p, &end, 10);
		p = end;
		if (*p != ':' || i == 2)
			break;
		p++;
	}
	if (part[0] > 167 || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
	return p;
}

static const char *posix_rule(const char *p, struct tz_rule *r)
{
	char *end;
	r->time = 7200;
	if (*p == 'M') {
		r->kind = 'M';
		r->a = (int)strtol(p + 1, &end, 10);
		if (*end != '.')
			return NULL;
		r->b = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return NULL;
		r->c = (int)strtol(end + 1, &end, 10);
		if (r->a < 1 || r->a > 12 || r->b < 1 || r->b > 5 || r->c < 0 || r->c > 6)
			return NULL;
	} else {
		r->kind = *p == 'J' ? 'J' : 'n';
		if (*p == 'J')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		r->a = (int)strtol(p, &end, 10);
		if (r->a > 365 || (r->kind == 'J' && r->a < 1))
			return NULL;
	}
	p = end;
	if (*p == '/')
		p = posix_hms(p + 1, &r->time);
	return p;
}

static int parse_posix(const char *p, struct tz_posix *t)
{
	memset(t, 0, sizeof *t);
	int32_t off;
	if (!(p = posix_name(p)) || !(p = posix_hms(p, &off)))
		return -1;
	t->std_off = -off;
	if (!*p)
		return 0;
	if (!(p = posix_name(p)))
		return -1;
	t->has_dst = true;
	t->dst_off = t->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = posix_hms(p, &off)))
			return -1;
		t->dst_off = -off;
	}
	if (!*p) /* no rule: the one POSIX gives, the United States' */
		p = ",M3.2.0,M11.1.0";
	if (*p != ',' || !(p = posix_rule(p + 1, &t->start)) || *p != ',' ||
	    !(p = posix_rule(p + 1, &t->end)))
		return -1;
	return *p ? -1 : 0;
}

static int64_t rule_day(const struct tz_rule *r, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		return jan1 + r->a - 1 + (leap(y) && r->a >= 60);
	if (r->kind == 'n')
		return jan1 + r->a;
	int64_t first = tz_days_from_civil(y, r->a, 1);
	int64_t d = first + (r->c - tz_weekday(first) + 7) % 7 + (int64_t)(r->b - 1) * 7;
	while (d >= first + (int64_t)tz_month_days(y, r->a))
		d -= 7;
	return d;
}

/* The rule's changes from the year of the file's last one to 2200. */
static int extend(struct tz_zone *z, const struct tz_posix *t)
{
	if (!t->has_dst) {
		if (!z->n)
			z->first_off = t->std_off;
		return 0;
	}
	int64_t y0 = 1970, yy;
	int m, d;
	if (z->n) {
		tz_civil_from_days(z->at[z->n - 1] / 86400, &yy, &m, &d);
		y0 = yy;
	}
	for (int64_t y = y0; y <= TZ_LAST_YEAR; y++) {
		int64_t on = rule_day(&t->start, y) * 86400 + t->start.time - t->std_off;
		int64_t off = rule_day(&t->end, y) * 86400 + t->end.time - t->dst_off;
		int64_t a = on < off ? on : off, b = on < off ? off : on;
		int32_t oa = on < off ? t->dst_off : t->std_off;
		int32_t ob = on < off ? t->std_off : t->dst_off;
		int64_t last = z->n ? z->at[z->n - 1] : INT64_MIN;
		if (a > last && push(z, a, oa) < 0)
			return -1;
		if (b > (z->n ? z->at[z->n - 1] : INT64_MIN) && push(z, b, ob) < 0)
			return -1;
	}
	return 0;
}

/* --- TZif files --- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int tzif_header(const unsigned char *b, size_t len, struct tzif_counts *c)
{
	if (len < 44 || memcmp(b, "TZif", 4) != 0)
		return -1;
	c->isut = be32(b + 20);
	c->isstd = be32(b + 24);
	c->leap = be32(b + 28);
	c->time = be32(b + 32);
	c->type = be32(b + 36);
	c->chars = be32(b + 40);
	return c->type >= 1 && c->type <= 256 && c->time <= 100000 && c->leap <= 1000 ? 0 : -1;
}

static size_t tzif_size(const struct tzif_counts *c, size_t tsize)
{
	return (size_t)c->time * (tsize + 1) + (size_t)c->type * 6 + c->chars +
	       (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

/* The data block at B (times TSIZE bytes wide) into Z. */
static int tzif_data(const unsigned char *b, const struct tzif_counts *c, size_t tsize,
		     struct tz_zone *z)
{
	const unsigned char *idx = b + (size_t)c->time * tsize, *types = idx + c->time;
	z->first_off = (int32_t)be32(types);
	for (uint32_t i = 0; i < c->time; i++) {
		if (idx[i] >= c->type)
			return -1;
		int64_t at = tsize == 8 ? be64(b + (size_t)i * 8) : (int32_t)be32(b + (size_t)i * 4);
		if (z->n && at <= z->at[z->n - 1])
			return -1;
		if (push(z, at, (int32_t)be32(types + (size_t)idx[i] * 6)) < 0)
			return -1;
	}
	return 0;
}

static int parse_tzif(const unsigned char *b, size_t len, struct tz_zone *z)
{
	struct tzif_counts c;
	if (tzif_header(b, len, &c) < 0)
		return -1;
	size_t tsize = 4, at = 44;
	if (b[4] >= '2') {
		at += tzif_size(&c, 4);
		if (at > len || tzif_header(b + at, len - at, &c) < 0)
			return -1;
		at += 44;
		tsize = 8;
	}
	size_t size = tzif_size(&c, tsize);
	if (size > len - at || tzif_data(b + at, &c, tsize, z) < 0)
		return -1;
	const char *foot = (const char *)b + at + size;
	size_t left = len - at - size;
	if (tsize == 8 && left >= 2 && foot[0] == '\n') {
		char rule[256];
		const char *nl = memchr(foot + 1, '\n', left - 1);
		size_t n = nl ? (size_t)(nl - foot - 1) : 0;
		struct tz_posix t;
		if (n > 0 && n < sizeof rule) {
			memcpy(rule, foot + 1, n);
			rule[n] = 0;
			if (parse_posix(rule, &t) < 0 || extend(z, &t) < 0)
				return -1;
		}
	}
	return 0;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	unsigned char *buf = malloc(TZ_FILE_MAX);
	size_t n = 0;
	ssize_t r = 0;
	while (buf && n < TZ_FILE_MAX && (r = read(fd, buf + n, TZ_FILE_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (!buf || r < 0 || n == TZ_FILE_MAX) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* --- loading by name --- */

static bool name_ok(const char *name)
{
	if (!*name || *name == '/' || *name == '.' || strlen(name) > 200 || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
			return false;
	return true;
}

static void finish(struct tz_zone *z)
{
	z->lo = z->hi = z->first_off;
	for (size_t i = 0; i < z->n; i++) {
		if (z->off[i] < z->lo)
			z->lo = z->off[i];
		if (z->off[i] > z->hi)
			z->hi = z->off[i];
	}
}

static struct tz_zone *zone_new(const char *name)
{
	struct tz_zone *z = calloc(1, sizeof *z);
	if (z && !(z->name = strdup(name))) {
		free(z);
		z = NULL;
	}
	return z;
}

static void zone_free(struct tz_zone *z)
{
	if (z) {
		free(z->name);
		free(z->at);
		free(z->off);
		free(z);
	}
}

static struct tz_zone *keep(struct tz_zone *z)
{
	finish(z);
	z->next = zones;
	zones = z;
	return z;
}

static struct tz_zone *from_file(const char *name, const char *path)
{
	size_t len;
	unsigned char *b = read_all(path, &len);
	if (!b)
		return NULL;
	struct tz_zone *z = zone_new(name);
	if (z && parse_tzif(b, len, z) < 0) {
		zone_free(z);
		z = NULL;
	}
	free(b);
	return z ? keep(z) : NULL;
}

static struct tz_zone *from_posix(const char *name, const char *spec)
{
	struct tz_posix t;
	struct tz_zone *z;
	if (parse_posix(spec, &t) < 0 || !(z = zone_new(name)))
		return NULL;
	z->first_off = t.std_off;
	if (extend(z, &t) < 0) {
		zone_free(z);
		return NULL;
	}
	return keep(z);
}

static const struct tz_zone *cached(const char *name)
{
	for (struct tz_zone *z = zones; z; z = z->next)
		if (!z->fixed && strcmp(z->name, name) == 0)
			return z;
	return NULL;
}

static const char *zone_dir(void)
{
	const char *dir = getenv("TZDIR");
	return dir && *dir == '/' ? dir : "/usr/share/zoneinfo";
}

/* The local zone as the C library would find it: TZ, else /etc/localtime,
 * else UTC.  It is named "local:" + what named it, so that a later change
 * of TZ is a different zone. */
static const struct tz_zone *load_local(char *err, size_t errlen)
{
	const char *tz = getenv("TZ");
	if (!tz) {
		char key[512], link[512];
		ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
		const char *in = strstr(link, "zoneinfo/");
		snprintf(key, sizeof key, "%s", in ? in + 9 : "localtime");
		const struct tz_zone *z = cached(key);
		if (z || (z = from_file(key, "/etc/localtime")))
			return z;
		tz = "UTC";
	}
	if (*tz == ':')
		tz++;
	if (!*tz)
		tz = "UTC";
	if ((*tz == '/' || name_ok(tz)) && strlen(tz) < 400) {
		const struct tz_zone *z = cached(tz);
		char path[512];
		if (z)
			return z;
		if (*tz == '/')
			snprintf(path, sizeof path, "%s", tz);
		else
			snprintf(path, sizeof path, "%s/%s", zone_dir(), tz);
		if ((z = from_file(tz, path)))
			return z;
	}
	const struct tz_zone *z = cached(tz);
	if (z || (z = from_posix(tz, tz)))
		return z;
	set_err(err, errlen, "the local zone TZ=", tz, " cannot be read");
	return NULL;
}

const struct tz_zone *tz_load(const char *name, char *err, size_t errlen)
{
	if (!name || !*name)
		return load_local(err, errlen);
	const struct tz_zone *z = cached(name);
	if (z)
		return z;
	if (!name_ok(name)) {
		set_err(err, errlen, "\"", name, "\" is not a zone name");
		return NULL;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/%s", zone_dir(), name);
	if (!(z = from_file(name, path)))
		set_err(err, errlen, "no zone \"", name, "\" in the system's tz database");
	return z;
}

const struct tz_zone *tz_fixed(int32_t offset)
{
	for (struct tz_zone *z = zones; z; z = z->next)
		if (z->fixed && z->first_off == offset)
			return z;
	struct tz_zone *z = zone_new("fixed");
	if (!z)
		return NULL;
	z->fixed = true;
	z->first_off = offset;
	return keep(z);
}

const char *tz_name(const struct tz_zone *z)
{
	return z->name;
}

/* --- questions --- */

/* The index of the first change after T. */
static size_t first_after(const struct tz_zone *z, int64_t t)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int32_t tz_offset_at(const struct tz_zone *z, int64_t t)
{
	size_t i = first_after(z, t);
	return i ? z->off[i - 1] : z->first_off;
}

int tz_from_local(const struct tz_zone *z, int64_t local, int64_t out[2])
{
	/* The instant is LOCAL - offset for one of the offsets in effect
	 * between LOCAL - hi and LOCAL - lo: try each, keep the consistent. */
	int n = 0;
	size_t i = first_after(z, local - z->hi);
	int32_t off = i ? z->off[i - 1] : z->first_off;
	for (;;) {
		int64_t t = local - off;
		if (tz_offset_at(z, t) == off && (n == 0 || out[n - 1] != t) && n < 2)
			out[n++] = t;
		if (i >= z->n || z->at[i] > local - z->lo)
			break;
		off = z->off[i++];
	}
	if (n == 2 && out[0] > out[1]) {
		int64_t t = out[0];
		out[0] = out[1];
		out[1] = t;
	}
	return n;
}

int tz_changes_between(const struct tz_zone *z, int64_t a, int64_t b)
{
	size_t i = first_after(z, a - 1);
	return i < z->n && z->at[i] <= b;
}

size_t tz_changes_in(const struct tz_zone *z, int64_t a, int64_t b, int64_t *at,
		     int32_t *before, int32_t *after)
{
	size_t i = first_after(z, a), n = 0;
	if (i < z->n && z->at[i] <= b) {
		*at = z->at[i];
		*before = i ? z->off[i - 1] : z->first_off;
		*after = z->off[i];
	}
	while (i + n < z->n && z->at[i + n] <= b)
		n++;
	return n;
}

/* The change in whose window LOCAL lies: skipped (SKIP) or repeated. */
static int change_of(const struct tz_zone *z, int64_t local, bool skip, int64_t *at,
		     int32_t *before, int32_t *after)
{
	for (size_t i = first_after(z, local - z->hi - 1); i < z->n; i++) {
		if (z->at[i] > local - z->lo + 1)
			break;
		int32_t b = i ? z->off[i - 1] : z->first_off, a = z->off[i];
		int64_t lo = z->at[i] + (skip ? b : a), hi = z->at[i] + (skip ? a : b);
		if (local >= lo && local < hi) {
			*at = z->at[i];
			*before = b;
			*after = a;
			return 0;
		}
	}
	return -1;
}

int tz_skip_of(const struct tz_zone *z, int64_t local, int64_t *at, int32_t *before,
	       int32_t *after)
{
	return change_of(z, local, true, at, before, after);
}

int tz_repeat_of(const struct tz_zone *z, int64_t local, int64_t *at, int32_t *before,
		 int32_t *after)
{
	return change_of(z, local, false, at, before, after);
}

void tz_offset_range(const struct tz_zone *z, int32_t *lo, int32_t *hi)
{
	*lo = z->lo;
	*hi = z->hi;
}
