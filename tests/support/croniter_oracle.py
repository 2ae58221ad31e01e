"""Run by Debian's /usr/bin/python3 (python3-croniter): reads a JSON list of
cases on stdin, each {"expr", "tz", "base", "n"}; writes for each a JSON
object {"kind", "times"} (the next N due times, Unix seconds) or
{"kind", "error"}.

Kinds: "plain", croniter's own reading.  Where croniter reads the two day
fields otherwise than Debian's cron, Debian's rule is applied to croniter's
readings of each field alone (tests/e2e/test_schedule_refs.py names them):
"STAR_AND", a day field that begins with '*' but is not "*" (Debian ANDs
the two fields, croniter ORs them); "FULL_DAYS", a day field that lists
every day (croniter takes it for "*" and ANDs, Debian ORs).

Where croniter's own search goes wrong, it is asked otherwise (the kinds
say so): "CRONITER_FEBRUARY", from a day of February before its last
croniter skips the first due days of March when a day February lacks is
listed ("0 0 1,31 * *" from 28 February 00:00 gives 31 March), while from
a month's last second it is right: each due time that leaves a month is
asked again from that month's last second, and the earlier is taken.
"CRONITER_IMPOSSIBLE", croniter refuses an expression whose listed days
its months never have ("* * 31 4 *"), which Debian's cron takes: due
never, or where the two day fields are ORed by the day of the week
alone."""

import datetime
import json
import sys
import zoneinfo

from croniter import croniter

SPAN_DAYS = 29 * 366
MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
FEBRUARY = []  # CRONITER_FEBRUARY, in the case at hand


def month_end(t):
    """The last second of T's month."""
    first = (t.replace(day=28) + datetime.timedelta(days=4)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0)
    return first - datetime.timedelta(seconds=1)


def next_after(expr, t):
    """croniter's first due time after T, asked again from the month's
    last second where it leaves T's month (CRONITER_FEBRUARY)."""
    r = croniter(expr, t).get_next(datetime.datetime)
    end = month_end(t)
    if r > end and t < end:
        again = croniter(expr, end).get_next(datetime.datetime)
        if again < r:
            FEBRUARY.append(expr)
            r = again
    return r


def plain(expr, base, n):
    out = []
    for _ in range(n):
        base = next_after(expr, base)
        out.append(int(base.timestamp()))
    return out


def impossible(expr):
    """Whether no month of EXPR has a day of month it lists
    (CRONITER_IMPOSSIBLE)."""
    days, months = croniter(expr).expanded[2:4]
    if "*" in days:
        return False
    months = range(1, 13) if "*" in months else months
    return all(d > MONTH_DAYS[m - 1] for d in days for m in months)


def both(f, tz, base, n):
    """Days due by the day of month AND the day of week, croniter's
    times of day on each."""
    day = base - datetime.timedelta(days=1)
    out = []
    for _ in range(SPAN_DAYS):
        day = next_after("0 0 %s %s *" % (f[2], f[3]), day)
        if not croniter.match("0 0 * %s %s" % (f[3], f[4]), day):
            continue
        times = croniter("%s %s * * *" % (f[0], f[1]), max(base, day - datetime.timedelta(seconds=1)))
        end = day + datetime.timedelta(days=1)
        while len(out) < n:
            t = times.get_next(datetime.datetime)
            if t >= end:
                break
            if t > base:
                out.append(int(t.timestamp()))
        if len(out) == n:
            return out
    return out


def either(f, base, n):
    """Due by the day of month OR the day of week: the union."""
    a = plain(" ".join(f[:2] + [f[2], f[3], "*"]), base, n)
    b = plain(" ".join(f[:2] + ["*", f[3], f[4]]), base, n)
    return sorted(set(a) | set(b))[:n]


def one(case):
    tz = zoneinfo.ZoneInfo(case["tz"])
    base = datetime.datetime.fromtimestamp(case["base"], tz)
    expr, n = case["expr"], case["n"]
    f = expr.split()
    if len(f) == 5 and impossible(expr):
        if f[2].startswith("*") or f[4].startswith("*"):
            return "CRONITER_IMPOSSIBLE", []
        return "CRONITER_IMPOSSIBLE", plain(" ".join(f[:2] + ["*", f[3], f[4]]), base, n)
    if len(f) != 5 or "*" in (f[2], f[4]):
        return "plain", plain(expr, base, n)
    if f[2].startswith("*") or f[4].startswith("*"):
        return "STAR_AND", both(f, tz, base, n)
    expanded = croniter(expr, base).expanded
    if ["*"] in (expanded[2], expanded[4]):
        return "FULL_DAYS", either(f, base, n)
    return "plain", plain(expr, base, n)


def main():
    out = []
    for case in json.load(sys.stdin):
        try:
            del FEBRUARY[:]
            kind, times = one(case)
            out.append({"kind": "CRONITER_FEBRUARY" if FEBRUARY else kind, "times": times})
        except Exception as e:  # noqa: BLE001 - the reference's refusal is data
            out.append({"kind": "error", "error": str(e)})
    json.dump(out, sys.stdout)


main()
