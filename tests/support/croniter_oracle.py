"""Run by Debian's /usr/bin/python3 (python3-croniter): reads a JSON list of
cases on stdin, each {"expr", "tz", "base", "n"}; writes for each a JSON
object {"kind", "times"} (the next N due times, Unix seconds) or
{"kind", "error"}.

Kinds: "plain", croniter's own reading.  Where croniter reads the two day
fields otherwise than Debian's cron, Debian's rule is applied to croniter's
readings of each field alone (tests/e2e/test_schedule_refs.py names them):
"STAR_AND", a day field that begins with '*' but is not "*" (Debian ANDs
the two fields, croniter ORs them); "FULL_DAYS", a day field that lists
every day (croniter takes it for "*" and ANDs, Debian ORs)."""

import datetime
import json
import sys
import zoneinfo

from croniter import croniter

SPAN_DAYS = 29 * 366


def plain(expr, base, n):
    it = croniter(expr, base)
    return [int(it.get_next(float)) for _ in range(n)]


def both(f, tz, base, n):
    """Days due by the day of month AND the day of week, croniter's
    times of day on each."""
    days = croniter("0 0 %s %s *" % (f[2], f[3]), base - datetime.timedelta(days=1))
    out = []
    for _ in range(SPAN_DAYS):
        day = days.get_next(datetime.datetime)
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
            kind, times = one(case)
            out.append({"kind": kind, "times": times})
        except Exception as e:  # noqa: BLE001 - the reference's refusal is data
            out.append({"kind": "error", "error": str(e)})
    json.dump(out, sys.stdout)


main()
