/* The schedule module against tables of due times worked out by hand from
 * the calendar, Debian's cron(8) and systemd.time(7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "unit.h"

struct next_case {
	const char *expr, *tz, *after;
	const char *want; /* due times in the zone, space-separated */
};

static const struct next_case next_cases[] = {
	/* cron: fields, lists, ranges, steps, names */
	{ "0 9 * * 1-5", "Europe/Berlin", "2026-12-04T10:00:00+01:00",
	  "2026-12-07T09:00:00+01:00 2026-12-08T09:00:00+01:00" },
	{ "0 12 * jan,jul mon-fri", "UTC", "2026-06-30T00:00:00Z",
	  "2026-07-01T12:00:00+00:00 2026-07-02T12:00:00+00:00 2026-07-03T12:00:00+00:00 "
	  "2026-07-06T12:00:00+00:00" },
	{ "10-50/20 * * * *", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-01T00:10:00+00:00 2026-01-01T00:30:00+00:00 2026-01-01T00:50:00+00:00 "
	  "2026-01-01T01:10:00+00:00" },
	/* steps that do not divide the field start again at its start */
	{ "*/25 * * * *", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-01T00:25:00+00:00 2026-01-01T00:50:00+00:00 2026-01-01T01:00:00+00:00" },
	{ "0 */5 * * *", "UTC", "2026-01-01T18:00:00Z",
	  "2026-01-01T20:00:00+00:00 2026-01-02T00:00:00+00:00 2026-01-02T05:00:00+00:00" },
	/* month ends and leap days */
	{ "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z",
	  "2026-03-31T00:00:00+00:00 2026-05-31T00:00:00+00:00 2026-07-31T00:00:00+00:00" },
	{ "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
	  "2028-02-29T00:00:00+00:00 2032-02-29T00:00:00+00:00 2036-02-29T00:00:00+00:00" },
	{ "0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", "" },
	/* 7 and 0 are Sunday */
	{ "0 0 * * 7", "UTC", "2026-12-07T00:00:00Z",
	  "2026-12-13T00:00:00+00:00 2026-12-20T00:00:00+00:00" },
	{ "0 0 * * 5-7", "UTC", "2026-12-07T00:00:00Z",
	  "2026-12-11T00:00:00+00:00 2026-12-12T00:00:00+00:00 2026-12-13T00:00:00+00:00 "
	  "2026-12-18T00:00:00+00:00" },
	/* both days restricted: either will do */
	{ "0 0 13 * 5", "UTC", "2026-11-01T00:00:00Z",
	  "2026-11-06T00:00:00+00:00 2026-11-13T00:00:00+00:00 2026-11-20T00:00:00+00:00 "
	  "2026-11-27T00:00:00+00:00 2026-12-04T00:00:00+00:00 2026-12-11T00:00:00+00:00 "
	  "2026-12-13T00:00:00+00:00" },
	/* ... unless one begins with '*': both needed, and "*\/2" keeps its days:
	 * odd-dated Mondays */
	{ "0 9 */2 * 1", "UTC", "2026-12-01T00:00:00Z",
	  "2026-12-07T09:00:00+00:00 2026-12-21T09:00:00+00:00 2027-01-11T09:00:00+00:00" },
	{ "0 9 1 * */3", "UTC", "2026-01-01T10:00:00Z",
	  "2026-02-01T09:00:00+00:00 2026-03-01T09:00:00+00:00 2026-04-01T09:00:00+00:00 "
	  "2026-07-01T09:00:00+00:00 2026-08-01T09:00:00+00:00 2026-11-01T09:00:00+00:00" },
	/* @words */
	{ "@weekly", "UTC", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00+00:00" },
	{ "@monthly", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00" },
	{ "@yearly", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00" },
	{ "@annually", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00" },
	{ "@daily", "UTC", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00+00:00" },
	{ "@midnight", "UTC", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00+00:00" },
	{ "@hourly", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T01:00:00+00:00" },
	/* a half-hour offset */
	{ "30 9 * * *", "Asia/Kolkata", "2026-12-07T00:00:00Z",
	  "2026-12-07T09:30:00+05:30 2026-12-08T09:30:00+05:30" },
	/* Debian's cron and DST, Europe/Berlin: a fixed time that is skipped
	 * runs right after the change; a repeated one once; a wildcard job
	 * follows the clock (skipped, or twice) */
	{ "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	  "2026-03-29T03:00:00+02:00 2026-03-30T02:30:00+02:00" },
	{ "0 2,3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	  "2026-03-29T03:00:00+02:00 2026-03-30T02:00:00+02:00" },
	{ "*/30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z",
	  "2026-03-28T02:00:00+01:00 2026-03-28T02:30:00+01:00 2026-03-30T02:00:00+02:00" },
	{ "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
	  "2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00" },
	{ "*/30 2 * * *", "Europe/Berlin", "2026-10-24T23:00:00Z",
	  "2026-10-25T02:00:00+02:00 2026-10-25T02:30:00+02:00 2026-10-25T02:00:00+01:00 "
	  "2026-10-25T02:30:00+01:00 2026-10-26T02:00:00+01:00" },
	/* America/New_York and Australia/Sydney (southern hemisphere) */
	{ "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
	  "2026-03-08T03:00:00-04:00 2026-03-09T02:30:00-04:00" },
	{ "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
	  "2026-11-01T01:30:00-04:00 2026-11-02T01:30:00-05:00" },
	{ "30 2 * * *", "Australia/Sydney", "2026-10-03T00:00:00Z",
	  "2026-10-04T03:00:00+11:00 2026-10-05T02:30:00+11:00" },
	{ "30 2 * * *", "Australia/Sydney", "2026-04-04T00:00:00Z",
	  "2026-04-05T02:30:00+11:00 2026-04-06T02:30:00+10:00" },
	/* rules that changed: Sao Paulo's last DST (2018), none since; Apia
	 * skipped 30 December 2011 (a change of a day: cron skips it too) */
	{ "30 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00Z",
	  "2018-11-04T01:00:00-02:00 2018-11-05T00:30:00-02:00" },
	{ "30 0 3 11 *", "America/Sao_Paulo", "2019-01-01T00:00:00Z",
	  "2019-11-03T00:30:00-03:00" },
	{ "0 12 * * *", "Pacific/Apia", "2011-12-29T00:00:00-10:00",
	  "2011-12-29T12:00:00-10:00 2011-12-31T12:00:00+14:00" },
	/* calendar events */
	{ "Mon..Fri *-*-* 09:00", "Europe/Berlin", "2026-12-04T10:00:00+01:00",
	  "2026-12-07T09:00:00+01:00 2026-12-08T09:00:00+01:00" },
	{ "Sat,Sun 10:00", "UTC", "2026-12-07T00:00:00Z",
	  "2026-12-12T10:00:00+00:00 2026-12-13T10:00:00+00:00" },
	{ "*-*-1,15 03:00", "UTC", "2026-12-07T00:00:00Z",
	  "2026-12-15T03:00:00+00:00 2027-01-01T03:00:00+00:00" },
	{ "*:0/15", "UTC", "2026-12-07T00:10:00Z",
	  "2026-12-07T00:15:00+00:00 2026-12-07T00:30:00+00:00" },
	{ "*:*:0/20", "UTC", "2026-12-07T00:00:30Z",
	  "2026-12-07T00:00:40+00:00 2026-12-07T00:01:00+00:00" },
	{ "*:*:45..45/1", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T00:00:45+00:00" },
	{ "*-*~19/12", "UTC", "2026-02-01T00:00:00Z",
	  "2026-02-10T00:00:00+00:00 2026-02-22T00:00:00+00:00 2026-03-13T00:00:00+00:00" },
	{ "*-*-* 09:00:30", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T09:00:30+00:00" },
	{ "10..20/3:00", "UTC", "2026-12-07T00:00:00Z",
	  "2026-12-07T10:00:00+00:00 2026-12-07T13:00:00+00:00 2026-12-07T16:00:00+00:00 "
	  "2026-12-07T19:00:00+00:00 2026-12-08T10:00:00+00:00" },
	{ "*-02~1", "UTC", "2026-12-07T00:00:00Z",
	  "2027-02-28T00:00:00+00:00 2028-02-29T00:00:00+00:00" },
	{ "*-*~07/2", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-25T00:00:00+00:00 2026-01-27T00:00:00+00:00 2026-01-29T00:00:00+00:00 "
	  "2026-01-31T00:00:00+00:00 2026-02-22T00:00:00+00:00" },
	{ "Mon *-05~07/1", "UTC", "2026-01-01T00:00:00Z",
	  "2026-05-25T00:00:00+00:00 2027-05-31T00:00:00+00:00" },
	{ "2026..2028-01-01", "UTC", "2026-01-01T00:00:00Z",
	  "2027-01-01T00:00:00+00:00 2028-01-01T00:00:00+00:00" },
	{ "69-01-01", "UTC", "2026-01-01T00:00:00Z", "" }, /* 2069: past the span */
	{ "@1800000000", "Europe/Berlin", "2026-01-01T00:00:00Z", "2027-01-15T08:00:00+00:00" },
	{ "daily", "UTC", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00+00:00" },
	{ "weekly", "UTC", "2026-12-07T00:00:00Z", "2026-12-14T00:00:00+00:00" },
	{ "monthly", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00" },
	{ "quarterly", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00 "
	  "2027-04-01T00:00:00+00:00" },
	{ "semiannually", "UTC", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00+00:00 "
	  "2027-07-01T00:00:00+00:00" },
	{ "hourly", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T01:00:00+00:00" },
	{ "minutely", "UTC", "2026-12-07T00:00:00Z", "2026-12-07T00:01:00+00:00" },
	{ "DAILY utc", "Europe/Berlin", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00+00:00" },
	/* a zone of its own wins over the tz given */
	{ "*-*-* 09:00 Asia/Kolkata", "Europe/Berlin", "2026-12-07T00:00:00Z",
	  "2026-12-07T09:00:00+05:30" },
	/* systemd and DST: a skipped time is no due time, a repeated one due
	 * at its first */
	{ "*-*-* 02:30", "Europe/Berlin", "2026-03-28T00:00:00Z",
	  "2026-03-28T02:30:00+01:00 2026-03-30T02:30:00+02:00" },
	{ "*-*-* 02:00/30", "Europe/Berlin", "2026-10-24T23:00:00Z",
	  "2026-10-25T02:00:00+02:00 2026-10-25T02:30:00+02:00 2026-10-26T02:00:00+01:00" },
	/* fractions of a second, kept to the microsecond (the seventh digit
	 * rounds the sixth); a whole second is shown without one */
	{ "12:00:01.5", "UTC", "2026-12-08T00:00:00Z",
	  "2026-12-08T12:00:01.500000+00:00 2026-12-09T12:00:01.500000+00:00" },
	{ "*:*:1.5..3/0.5", "UTC", "2026-01-01T00:00:02.2Z",
	  "2026-01-01T00:00:02.500000+00:00 2026-01-01T00:00:03+00:00 "
	  "2026-01-01T00:01:01.500000+00:00" },
	{ "*:*:1.5..3", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-01T00:00:01.500000+00:00 2026-01-01T00:00:02.500000+00:00 "
	  "2026-01-01T00:01:01.500000+00:00" },
	{ "*:*:59/0.4", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-01T00:00:59+00:00 2026-01-01T00:00:59.400000+00:00 "
	  "2026-01-01T00:00:59.800000+00:00 2026-01-01T00:01:59+00:00" },
	{ "*:00:0.1234565,0.99999949,0.9999995", "UTC", "2026-01-01T00:00:00Z",
	  "2026-01-01T00:00:00.123457+00:00 2026-01-01T00:00:00.999999+00:00 "
	  "2026-01-01T00:00:01+00:00 2026-01-01T01:00:00.123457+00:00" },
	{ "*-*-* 02:30:00.5", "Europe/Berlin", "2026-10-24T23:00:00Z",
	  "2026-10-25T02:30:00.500000+02:00 2026-10-26T02:30:00.500000+01:00" },
	{ "*-*-* 02:30:00.5", "Europe/Berlin", "2026-03-28T00:00:00Z",
	  "2026-03-28T02:30:00.500000+01:00 2026-03-30T02:30:00.500000+02:00" },
	/* systemd's carried repetitions (systemd-analyze calendar's answers):
	 * 23:76 is 00:16 of the next day, whose 00:10 is skipped; 10:76 is
	 * 11:00 again */
	{ "*-*-* *:10/33:00", "UTC", "2026-12-07T22:40:00Z",
	  "2026-12-07T22:43:00+00:00 2026-12-07T23:10:00+00:00 2026-12-07T23:43:00+00:00 "
	  "2026-12-08T00:43:00+00:00 2026-12-08T01:10:00+00:00" },
	/* a search that starts after the carry does not skip */
	{ "*:10/33", "UTC", "2026-12-08T00:05:00Z",
	  "2026-12-08T00:10:00+00:00 2026-12-08T00:43:00+00:00" },
	/* seconds past an hour's end keep theirs: 23:00:00 skipped */
	{ "*:59,0:0/7", "UTC", "2026-12-07T22:59:50Z",
	  "2026-12-07T22:59:56+00:00 2026-12-07T23:00:07+00:00 2026-12-07T23:00:14+00:00" },
	/* past a minute's end, their fraction: 58.4 + 7.3 skips 23:01:00 */
	{ "*:*:0/7.3", "UTC", "2026-12-07T23:00:50Z",
	  "2026-12-07T23:00:51.100000+00:00 2026-12-07T23:00:58.400000+00:00 "
	  "2026-12-07T23:01:07.300000+00:00" },
	{ "*:*:0/7", "UTC", "2026-12-31T23:59:50Z",
	  "2026-12-31T23:59:56+00:00 2027-01-01T00:00:07+00:00 2027-01-01T00:00:14+00:00" },
	/* hours past a month's end: 1 December 00:00 skipped */
	{ "0/7:00", "UTC", "2026-11-30T20:00:00Z",
	  "2026-11-30T21:00:00+00:00 2026-12-01T07:00:00+00:00 2026-12-01T14:00:00+00:00 "
	  "2026-12-01T21:00:00+00:00 2026-12-02T00:00:00+00:00" },
	/* days past a year's end: December 37 is 6 January, 1 January skipped;
	 * 1/10 has December 31 on its list, nothing to carry */
	{ "*-*-1/12", "UTC", "2026-12-25T00:00:00Z",
	  "2027-01-13T00:00:00+00:00 2027-01-25T00:00:00+00:00 2027-02-01T00:00:00+00:00" },
	{ "*-*-1/10", "UTC", "2026-12-29T00:00:00Z",
	  "2026-12-31T00:00:00+00:00 2027-01-01T00:00:00+00:00 2027-01-11T00:00:00+00:00" },
	/* weekdays: a carry into a due day skips; into another, none */
	{ "Mon,Tue *:10/33", "UTC", "2026-12-07T23:40:00Z",
	  "2026-12-07T23:43:00+00:00 2026-12-08T00:43:00+00:00" },
	{ "Mon *:10/33", "UTC", "2026-12-07T23:40:00Z",
	  "2026-12-07T23:43:00+00:00 2026-12-14T00:10:00+00:00" },
	/* across the clock changes: 01:76 is 03:16 CEST, the hour restarts;
	 * 25:00 on 31 October is 1 November 01:00, its 00:00 and 01:00 skipped */
	{ "*:10/33", "Europe/Berlin", "2027-03-27T22:40:00Z",
	  "2027-03-27T23:43:00+01:00 2027-03-28T00:43:00+01:00 2027-03-28T01:10:00+01:00 "
	  "2027-03-28T01:43:00+01:00 2027-03-28T03:10:00+02:00 2027-03-28T03:43:00+02:00" },
	/* landing at a minute's start, the search takes all its seconds,
	 * though from the minute before 00:03:00 would be skipped (58.4 +
	 * 7.3); so at 05:00 of a month's first day after 05:00 carried */
	{ "*:2..5,0/7:0/7.3", "UTC", "2026-12-07T23:56:50Z",
	  "2026-12-07T23:56:51.100000+00:00 2026-12-07T23:56:58.400000+00:00 "
	  "2026-12-08T00:03:00+00:00 2026-12-08T00:03:07.300000+00:00" },
	{ "1/7,4,5:59,0:0/7.3", "UTC", "2026-11-30T22:59:55Z",
	  "2026-11-30T22:59:58.400000+00:00 2026-12-01T05:00:00+00:00 "
	  "2026-12-01T05:00:07.300000+00:00" },
	/* a carry into the hour the clocks skip at midnight resumes past it */
	{ "*:10/33", "America/Santiago", "2027-09-05T03:30:00Z",
	  "2027-09-04T23:43:00-04:00 2027-09-05T01:43:00-03:00 2027-09-05T02:10:00-03:00" },
	{ "0/5:00", "Europe/Berlin", "2027-10-30T18:00:00Z",
	  "2027-10-31T00:00:00+02:00 2027-10-31T05:00:00+01:00 2027-10-31T10:00:00+01:00 "
	  "2027-10-31T15:00:00+01:00 2027-10-31T20:00:00+01:00 2027-11-01T05:00:00+01:00" },
};

struct gap_case {
	const char *exprs[3], *tz, *now;
	int64_t longest, shortest, usual; /* microseconds */
	const char *longest_at; /* NULL: not checked */
};

#define S 1000000LL
#define H 3600
#define D 86400

static const struct gap_case gap_cases[] = {
	{ { "* * * * *" }, "UTC", "2026-06-01T00:00:00Z", 60 * S, 60 * S, 60 * S, NULL },
	/* systemd leaves out the repeated hour: one gap of an hour and a second */
	{ { "*-*-* *:*:*" }, "Europe/Berlin", "2026-06-01T00:00:00Z", 3601 * S, S, S,
	  "2026-10-25T02:59:59+02:00" },
	/* every weekday and leap year in the span: four years */
	{ { "0 0 29 2 *" }, "UTC", "2026-06-01T00:00:00Z", 1461 * D * S, 1461 * D * S,
	  1461 * D * S, "2028-02-29T00:00:00+00:00" },
	{ { "0 9 * * 1-5" }, "UTC", "2026-06-01T00:00:00Z", 3 * D * S, D * S, 3 * D * S, NULL },
	{ { "0 0 31 * *" }, "UTC", "2026-06-01T00:00:00Z", 61 * D * S, 31 * D * S, 61 * D * S,
	  "2026-03-31T00:00:00+00:00" },
	{ { "*/25 * * * *" }, "UTC", "2026-06-01T00:00:00Z", 25 * 60 * S, 10 * 60 * S,
	  25 * 60 * S, NULL },
	/* cron over DST: 03:00 on the short day, 02:30 again the day after */
	{ { "30 2 * * *" }, "Europe/Berlin", "2026-06-01T00:00:00Z", 25 * H * S,
	  (23 * H + 1800) * S, D * S, NULL },
	/* a systemd timer at 02:30 skips a night */
	{ { "*-*-* 02:30" }, "Europe/Berlin", "2026-06-01T00:00:00Z", 47 * H * S, D * S, D * S,
	  "2026-03-28T02:30:00+01:00" },
	{ { "0 9 * * 1-5", "0 10 * * 6" }, "UTC", "2026-06-01T00:00:00Z", 47 * H * S, D * S,
	  47 * H * S, NULL },
	{ { "Mon..Fri 09:00", "Sat 10:00", "*-12-25 12:00" }, "UTC", "2026-06-01T00:00:00Z",
	  47 * H * S, 2 * H * S, 47 * H * S, NULL },
	/* two zones: 6 hours apart, 5 or 7 in the weeks their changes differ */
	{ { "*-*-* 09:00", "*-*-* 09:00 America/New_York" }, "Europe/Berlin",
	  "2026-06-01T00:00:00Z", 19 * H * S, 5 * H * S, 18 * H * S, NULL },
	{ { "30 9 * * *" }, "Asia/Kolkata", "2026-06-01T00:00:00Z", D * S, D * S, D * S, NULL },
	/* fractions of a second: a quarter of a second, and the minute's
	 * wrap from 59.75 to 0 is a quarter too */
	{ { "*:*:0/0.25" }, "UTC", "2026-06-01T00:00:00Z", S / 4, S / 4, S / 4, NULL },
	/* 1.5, 2.5 of each minute: the longest gap 59 s, the shortest 1 s */
	{ { "*:*:1.5..2.5" }, "UTC", "2026-06-01T00:00:00Z", 59 * S, S, 59 * S,
	  "2026-01-01T00:00:02.500000+00:00" },
	{ { "*-*-* 09:00:00.5", "*-*-* 09:00:00.75" }, "UTC", "2026-06-01T00:00:00Z",
	  D * S - S / 4, S / 4, D * S - S / 4, NULL },
	/* the repeated hour left out, a fraction after it */
	{ { "*:*:0.5" }, "Europe/Berlin", "2026-06-01T00:00:00Z", (H + 60) * S, 60 * S, 60 * S,
	  "2026-10-25T02:59:00.500000+02:00" },
	/* systemd's carries: 23:43 to 00:43 across midnight (27 and 33
	 * minutes within a day); 21:00 to 07:00 across a month's end (3 h
	 * into another day); 25 December to 13 January (4 days from 25
	 * February) */
	{ { "*:10/33" }, "UTC", "2026-06-01T00:00:00Z", H * S, 27 * 60 * S, H * S,
	  "2026-01-01T23:43:00+00:00" },
	{ { "0/7:00" }, "UTC", "2026-06-01T00:00:00Z", 10 * H * S, 3 * H * S, 10 * H * S,
	  "2026-01-31T21:00:00+00:00" },
	{ { "*-*-1/12" }, "UTC", "2026-06-01T00:00:00Z", 19 * D * S, 4 * D * S, 19 * D * S,
	  "2026-12-25T00:00:00+00:00" },
};

/* Unusable, each for its reason. */
static const char *const bad_exprs[] = {
	"@reboot", "@every", "@Daily", "61 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
	"* * * 13 *", "* * * * 8", "5/15 * * * *", "*/0 * * * *", "5-1 * * * *", "* * * *",
	"* * * * * *", "1,,2 * * * *", "- * * * *", "* * * foo *", "* * * * monday",
	"1-2-3 * * * *", "", "   ", "Sat..Mon", "*:*/15", "*-*-*/2", "*-*~29", "*-*~3..1",
	"*-*~01/1", "22/2:00", "24:00", "*:60", "9", "Mon Tue", "*-*-* 09:00 Nowhere/Zone",
	"*-*-* 09:00 Z", "Mo", "Monda", "Mon.Fri", "100-01-01", "*-13-01",
	"*-*-0", "daily\tUTC", "*:*:20..20", "0 9 * * 1\n0 10 * * 2",
	/* fractions: only of seconds, with a digit after the point, inside the
	 * minute, repeating within it, a range without a repetition spanning
	 * a second, a repetition of a microsecond at least */
	"12:00.5", "12.5:00", "*:*:1.", "*:*:.5", "*:*:1.,2", "*:*:*.5", "*:*:*/0.5",
	"*:*:59.5/0.5", "*:*:59.9999995", "*:*:1.5..2", "*:*:1..1.5", "*:*:0/0.0000001",
	"*:*:0/0.0", "@1.5", "*:*:0.5.5",
	/* more due times in a day than hbrun keeps: see hbrun(1) */
	"*:*:0/0.1", "*:*:0/0.01", "*:*:0/0.000001", "*:*:0/0.25,0.1/0.25",
};

static const char *const bad_zones[] = {
	"Nowhere/Zone", "../../etc/passwd", "/etc/passwd", "Europe/../Europe/Berlin", "zone.tab",
	"Europe", "Europe/Berlin ",
};

static int64_t at(const char *text)
{
	int64_t t;
	ck_assert_msg(schedule_parse_time(text, &t) == 0, "%s", text);
	return t;
}

static struct schedule *with(const char *expr, const char *tz)
{
	struct schedule *s = schedule_new();
	char err[256];
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(schedule_add(s, expr, tz, err, sizeof err) == 0, "%s: %s", expr, err);
	return s;
}

START_TEST(next_due_times)
{
	const struct next_case *c = &next_cases[_i];
	struct schedule *s = with(c->expr, c->tz);
	enum schedule_zone_from from;
	const char *zone = schedule_zone_of(s, 0, &from);
	char got[1024] = "", one[64];
	int64_t t = at(c->after);
	for (int n = 0; n < 8 && strlen(got) < strlen(c->want); n++) {
		if (schedule_next(s, t, &t) < 0)
			break;
		ck_assert_int_eq(schedule_format(t, zone, one, sizeof one), 0);
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", *got ? " " : "", one);
	}
	ck_assert_msg(strcmp(got, c->want) == 0, "%s [%s] after %s:\n got %s\nwant %s", c->expr,
		      c->tz, c->after, got, c->want);
	if (!*c->want)
		ck_assert_int_eq(schedule_next(s, at(c->after), &t), -1);
	schedule_free(s);
}
END_TEST

START_TEST(gaps)
{
	const struct gap_case *c = &gap_cases[_i];
	struct schedule *s = schedule_new();
	char err[256];
	for (int i = 0; i < 3 && c->exprs[i]; i++)
		ck_assert_msg(schedule_add(s, c->exprs[i], c->tz, err, sizeof err) == 0, "%s", err);
	struct schedule_gaps g;
	ck_assert_int_eq(schedule_gaps(s, at(c->now) / S, &g), 0);
	ck_assert_msg(g.longest_us == c->longest && g.shortest_us == c->shortest &&
			      g.usual_longest_us == c->usual,
		      "%s: longest %lld shortest %lld usual %lld", c->exprs[0],
		      (long long)g.longest_us, (long long)g.shortest_us,
		      (long long)g.usual_longest_us);
	/* In whole seconds: the longest rounded up, the shortest down. */
	ck_assert_int_eq(g.longest, (c->longest + S - 1) / S);
	ck_assert_int_eq(g.usual_longest, (c->usual + S - 1) / S);
	ck_assert_int_eq(g.shortest, c->shortest / S);
	if (c->longest_at) {
		char buf[64];
		schedule_format(g.longest_at_us, schedule_zone_of(s, 0, NULL), buf, sizeof buf);
		ck_assert_str_eq(buf, c->longest_at);
	}
	schedule_free(s);
}
END_TEST

/* The local zone's abbreviation as an event's last word: the local zone
 * (TZ), due while it keeps that name. */
struct abbr_case {
	const char *local, *expr, *after;
	const char *want; /* due times, space-separated; "-": refused */
};

static const struct abbr_case abbr_cases[] = {
	{ "Europe/Berlin", "Mon 09:00 CET", "2026-12-04T10:00:00Z",
	  "2026-12-07T09:00:00+01:00 2026-12-14T09:00:00+01:00" },
	/* any case; before the tz database's zone "CET" */
	{ "Europe/Berlin", "Mon 09:00 cet", "2027-03-15T00:00:00Z", "2027-03-15T09:00:00+01:00 "
	  "2027-03-22T09:00:00+01:00" },
	/* from a time in the other name's stretch: none */
	{ "Europe/Berlin", "Mon 09:00 CEST", "2026-12-04T10:00:00Z", "" },
	{ "Europe/Berlin", "Mon 09:00 CEST", "2027-10-20T00:00:00Z", "2027-10-25T09:00:00+02:00" },
	/* the stretch ends at the change: 01:30 CET, then 02:30 is skipped */
	{ "Europe/Berlin", "*-*-* *:30 CET", "2027-03-28T00:00:00Z", "2027-03-28T01:30:00+01:00" },
	/* Dublin's winter is the C library's daylight saving time */
	{ "Europe/Dublin", "12:00 GMT", "2026-12-04T00:00:00Z",
	  "2026-12-04T12:00:00+00:00 2026-12-05T12:00:00+00:00" },
	/* not the local zone's: a zone file of that name, or nothing */
	{ "America/New_York", "Mon 09:00 CET", "2026-12-04T10:00:00Z", "2026-12-07T09:00:00+01:00 "
	  "2026-12-14T09:00:00+01:00" },
	{ "America/New_York", "Mon 09:00 CEST", "2026-12-04T10:00:00Z", "-" },
	{ "America/Santiago", "12:00:00.5 -03", "2026-12-04T00:00:00Z",
	  "2026-12-04T12:00:00.500000-03:00 2026-12-05T12:00:00.500000-03:00" },
};

START_TEST(local_abbreviations)
{
	const struct abbr_case *c = &abbr_cases[_i];
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", c->local, 1);
	struct schedule *s = schedule_new();
	char err[256], got[1024] = "", one[64];
	int r = schedule_add(s, c->expr, "Asia/Tokyo", err, sizeof err);
	ck_assert_msg(r == (strcmp(c->want, "-") == 0 ? -1 : 0), "%s: %s", c->expr, err);
	enum schedule_zone_from from = ZONE_FROM_TZ;
	if (r == 0)
		schedule_zone_of(s, 0, &from);
	int64_t t = at(c->after);
	for (int n = 0; r == 0 && n < 8 && strlen(got) < strlen(c->want); n++) {
		if (schedule_next(s, t, &t) < 0)
			break;
		const char *zone = from == ZONE_FROM_ABBREVIATION ? NULL
				   : schedule_zone_of(s, 0, NULL);
		ck_assert_int_eq(schedule_format(t, zone, one, sizeof one), 0);
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", *got ? " " : "", one);
	}
	if (r == 0)
		ck_assert_msg(strcmp(got, c->want) == 0, "%s [TZ=%s]:\n got %s\nwant %s", c->expr,
			      c->local, got, c->want);
	schedule_free(s);
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	free(old);
}
END_TEST

/* The gaps of such an event are those of the stretch around now. */
START_TEST(local_abbreviation_gaps)
{
	setenv("TZ", "Europe/Berlin", 1);
	struct schedule *s = with("Mon,Thu 09:00 CET", NULL);
	struct schedule_gaps g;
	ck_assert_int_eq(schedule_gaps(s, at("2026-12-08T00:00:00Z") / S, &g), 0);
	ck_assert_int_eq(g.longest, 4 * D);
	ck_assert_int_eq(g.shortest, 3 * D);
	ck_assert_int_eq(schedule_gaps(s, at("2026-07-01T00:00:00Z") / S, &g), -1);
	schedule_free(s);
	unsetenv("TZ");
}
END_TEST

START_TEST(unusable_expressions)
{
	struct schedule *s = schedule_new();
	char err[256] = "";
	ck_assert_msg(schedule_add(s, bad_exprs[_i], "UTC", err, sizeof err) == -1, "%s",
		      bad_exprs[_i]);
	ck_assert_msg(*err && !strchr(err, '\n'), "%s", bad_exprs[_i]);
	ck_assert_int_eq(schedule_count(s), 0);
	schedule_free(s);
}
END_TEST

START_TEST(unusable_zones)
{
	struct schedule *s = schedule_new();
	char err[256] = "";
	ck_assert_msg(schedule_add(s, "0 9 * * *", bad_zones[_i], err, sizeof err) == -1, "%s",
		      bad_zones[_i]);
	ck_assert_int_eq(schedule_count(s), 0);
	schedule_free(s);
}
END_TEST

START_TEST(grammar_and_zone_are_told)
{
	struct schedule *s = with("0 9 * * *", "Asia/Kolkata");
	char err[64];
	ck_assert_int_eq(schedule_add(s, "daily Europe/Berlin", "Asia/Kolkata", err, sizeof err), 0);
	ck_assert_int_eq(schedule_add(s, "Mon 09:00", NULL, err, sizeof err), 0);
	enum schedule_zone_from from;
	ck_assert_int_eq(schedule_count(s), 3);
	ck_assert_int_eq(schedule_grammar_of(s, 0), SCHEDULE_CRON);
	ck_assert_str_eq(schedule_zone_of(s, 0, &from), "Asia/Kolkata");
	ck_assert_int_eq(from, ZONE_FROM_TZ);
	ck_assert_int_eq(schedule_grammar_of(s, 1), SCHEDULE_CALENDAR);
	ck_assert_str_eq(schedule_zone_of(s, 1, &from), "Europe/Berlin");
	ck_assert_int_eq(from, ZONE_FROM_EXPRESSION);
	schedule_zone_of(s, 2, &from);
	ck_assert_int_eq(from, ZONE_FROM_LOCAL);
	schedule_free(s);
}
END_TEST

START_TEST(rfc3339)
{
	int64_t t;
	ck_assert_int_eq(schedule_parse_time("2026-12-08T09:00:00+01:00", &t), 0);
	ck_assert_int_eq(t, 1796716800 * S);
	ck_assert_int_eq(schedule_parse_time("2026-12-08t08:00:00.999z", &t), 0);
	ck_assert_int_eq(t, 1796716800 * S + 999000);
	/* past a microsecond the digits are cut off: after is after */
	ck_assert_int_eq(schedule_parse_time("2026-12-08T08:00:00.0000019Z", &t), 0);
	ck_assert_int_eq(t, 1796716800 * S + 1);
	const char *bad[] = { "2026-12-08T09:00:00", "2026-02-29T00:00:00Z", "2026-12-08",
			      "2026-12-08T24:00:00Z", "2026-12-08T09:00:60Z", "x", "",
			      "2026-12-08T09:00:00+0100", "2026-12-08T09:00:00Z " };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(schedule_parse_time(bad[i], &t) == -1, "%s", bad[i]);
	char buf[64];
	ck_assert_int_eq(schedule_format(1796716800 * S, "America/St_Johns", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "2026-12-08T04:30:00-03:30");
	/* a fraction in six digits, also before 1970 */
	ck_assert_int_eq(schedule_format(1796716800 * S + 250000, "UTC", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "2026-12-08T08:00:00.250000+00:00");
	ck_assert_int_eq(schedule_format(-1, "UTC", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999+00:00");
	ck_assert_int_eq(schedule_format(1796716800 * S, "Nowhere/Zone", buf, sizeof buf), -1);
}
END_TEST

START_TEST(several_expressions_separated_by_semicolons)
{
	char err[256];
	struct schedule *s = schedule_parse("Mon..Fri 09:00; Sat 10:00 ;0 12 * * 0", "UTC", err,
					    sizeof err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(schedule_count(s), 3);
	ck_assert_int_eq(schedule_grammar_of(s, 2), SCHEDULE_CRON);
	struct schedule_gaps g;
	ck_assert_int_eq(schedule_gaps(s, at("2026-06-01T00:00:00Z") / S, &g), 0);
	ck_assert_int_eq(g.longest, 26 * H);  /* Sat 10:00 -> Sun 12:00 */
	ck_assert_int_eq(g.shortest, 21 * H); /* Sun 12:00 -> Mon 09:00 */
	schedule_free(s);
	ck_assert_ptr_null(schedule_parse("daily; @reboot", "UTC", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "@reboot"));
	ck_assert_ptr_null(schedule_parse("daily;", "UTC", err, sizeof err));
	ck_assert_ptr_null(schedule_parse("daily", "Nowhere/Zone", err, sizeof err));
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

Suite *unit_suite(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("schedule");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, next_due_times, 0, COUNT(next_cases));
	tcase_add_loop_test(tc, gaps, 0, COUNT(gap_cases));
	tcase_add_loop_test(tc, local_abbreviations, 0, COUNT(abbr_cases));
	tcase_add_test(tc, local_abbreviation_gaps);
	tcase_add_loop_test(tc, unusable_expressions, 0, COUNT(bad_exprs));
	tcase_add_loop_test(tc, unusable_zones, 0, COUNT(bad_zones));
	tcase_add_test(tc, grammar_and_zone_are_told);
	tcase_add_test(tc, rfc3339);
	tcase_add_test(tc, several_expressions_separated_by_semicolons);
	suite_add_tcase(s, tc);
	return s;
}
