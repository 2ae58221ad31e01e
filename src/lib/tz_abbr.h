/* The local zone's abbreviations ("CET", "CEST") as a calendar event's
 * last word, read through the C library as systemd reads them: the word
 * names the local zone in standard time or in daylight saving time, and
 * the event is due only while the zone keeps that one.  tz.c reads zones
 * itself; this is the one place the C library's idea of the local zone is
 * asked, since that idea is what the abbreviation names. */
#ifndef HBRUN_TZ_ABBR_H
#define HBRUN_TZ_ABBR_H

#include <stdint.h>

/* 0 when WORD (any case) is the local zone's standard time's abbreviation,
 * 1 when its daylight saving time's, else -1. */
int tz_abbr_local(const char *word);

/* Whether the local zone keeps daylight saving time at T (Unix seconds),
 * and the stretch [*FROM, *TO) around T in which that holds, searched 30
 * years either way (INT64_MIN, INT64_MAX past that). */
int tz_abbr_stretch(int64_t t, int64_t *from, int64_t *to);

#endif
