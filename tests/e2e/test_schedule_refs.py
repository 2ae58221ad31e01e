"""The schedule module, through the real `hbctl next`, against references
nobody here wrote: thousands of generated cron expressions against
python3-croniter (Debian's, run by /usr/bin/python3) in zones without DST,
and generated calendar events against `systemd-analyze calendar
--iterations=N --base-time=@T` in every zone.  Seeded and reproducible:
HBRUN_SCHEDULE_SEED (default below) and HBRUN_SCHEDULE_CASES (the number of
cron expressions; half as many calendar events: three fifths plain, a
fifth with fractions of seconds, a fifth ending in the local zone's
abbreviation, with TZ set for both sides).

Where a reference reads a schedule otherwise than hbrun(1) says, the case
is a named exception, compared against what the reference gives for the
rule hbrun follows, and the difference itself has a test of its own:
- STAR_AND: Debian's cron ANDs day of month and day of week when either
  begins with '*' ("*/2" too); croniter ORs them unless one is exactly
  "*".  Compared with croniter's days of the day-of-month half that
  croniter.match() finds due by the day-of-week half, with croniter's
  times of day on them.
- FULL_DAYS: a day field that lists every day ("1-7", "0-6", "sun-7") is
  "*" to croniter, which then ANDs; to Debian's cron it is no '*' and it
  ORs: every day.  Compared with the union of croniter's due times of each
  day field alone.
- CRONITER_FEBRUARY: from a day of February before its last, with a day
  listed that February lacks, croniter skips the first due days of March
  ("0 0 1,31 * *" from 28 February 00:00 gives 31 March); Debian's cron
  runs 1 March.  The oracle asks croniter again from the last second of
  each month a due time leaves, where croniter is right, and takes the
  earlier (tests/support/croniter_oracle.py).
- CRONITER_IMPOSSIBLE: croniter refuses an expression whose listed days
  its months never have ("* * 31 4 *"), which Debian's cron takes: never
  due, or, where the two day fields are ORed, due by the day of the week
  alone.  Compared with none, or with croniter's due times of the day of
  the week half alone.
- SYSTEMD_REPEAT_CARRY: what is left of the carries (see above): seconds
  carried past the end of the hour in which the clocks change.  Where
  they skip the hour (Europe/Berlin in March), systemd keeps the carried
  seconds in the hour after it ("0..1,3:59,0:0/7" from 01:59:56 gives
  03:00:07), hbrun starts that hour anew (03:00:00); where they go back,
  from the first pass's 02:59:56 systemd starts 03:00 anew and hbrun keeps
  the carried seconds (03:00:07).  Two days a year, only events with
  seconds that carry and minute 59; the generated cases have not met it,
  and the difference has a test of its own.
- SYSTEMD_DEADLOCK: systemd 252 gives up some searches ("Failed to
  determine next elapse ...: Resource deadlock avoided"), seen with a
  repeated month ("03/7-02,17"); there is nothing to compare, the cases
  are counted and listed, and the same due times written as a list of
  months, which systemd does find, are compared in a test of their own.
- SYSTEMD_FROM_REPEAT: from a base time inside the second pass of a
  repeated hour, systemd goes on through that repeated hour; hbrun gives
  the due times a running timer has, the first pass only.  Such bases are
  compared from the end of the repeated hour instead.
- SYSTEMD_ABBR_PAST_CHANGE: an event ending in the local zone's
  abbreviation is due, by hbrun, from the base time to the end of the
  stretch in which the zone keeps it.  systemd stops where its search
  happens to look at a time of the other flag: where the clocks go back it
  finds a due time or two past the change (an hour's "*:30 CEST" at 03:30
  CET) and an event whose search steps over the other stretch goes on in
  the next one ("annually CET" every 1 January).  Such cases are compared
  with systemd's due times before the change, and counted.
- SYSTEMD_DENSE: hbrun keeps a day's due times as a list and refuses an
  event with more than 345600 of them a day ("*:*:0/0.1"), which systemd
  takes; generated repetitions of a second's fraction stay at half a
  second or more, two of them at most in a field.

A repetition without an end ("*:10/33") whose next value lies past its
field's end is carried by systemd into the next unit, and the values
before the carried remainder are skipped where the carry changes more
than one unit ("*:10/33" from 23:48 gives 00:43, not 00:10): hbrun
gives systemd's due times there (hbrun(1); but for SYSTEMD_REPEAT_CARRY
above, at the hour of a clock change), and the generated events
hold such repetitions in every field, compared as any other case; the
known ones have a test of their own.

systemd-analyze shows due times in whole seconds: an event with a
fraction is compared by the seconds of hbctl's due times, one by one, from
a base time with a fraction of its own, so the fractions decide which due
times come first and how many fall in each second.

    HBCTL=build/src/hbctl/hbctl python3 tests/e2e/test_schedule_refs.py
"""

import concurrent.futures
import datetime
import ctypes
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import unittest
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import WRAPPER, scaled  # noqa: E402

HBCTL = os.environ.get("HBCTL", "")
if not HBCTL or not os.access(HBCTL, os.X_OK):
    raise SystemExit("tests: set HBCTL to the hbctl binary (meson test does this)")

DEBIAN_PYTHON = "/usr/bin/python3"
ORACLE = os.path.join(os.path.dirname(__file__), "..", "support", "croniter_oracle.py")
SEED = int(os.environ.get("HBRUN_SCHEDULE_SEED", "") or 20261207)
N = 4  # due times compared per case

NO_DST = ["UTC", "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu", "Etc/GMT+11",
          "Africa/Nairobi", "Pacific/Kiritimati", "America/Sao_Paulo", "Asia/Shanghai"]
ALL_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
             "Australia/Lord_Howe", "America/Santiago", "Europe/Dublin", "America/Havana",
             "Asia/Kathmandu", "Pacific/Chatham", "Asia/Beirut", "America/St_Johns"]
BASE_LO = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
BASE_HI = int(datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc).timestamp())


def default_cases():
    if harness.UNDER_VALGRIND:
        return 24
    asan = "asan" in os.environ.get("HBRUN_WRAPPER", "")
    try:
        with open(HBCTL, "rb") as f:
            asan = asan or b"__asan_init" in f.read()
    except OSError:
        pass
    return 300 if asan else 2000


CASES = int(os.environ.get("HBRUN_SCHEDULE_CASES", "") or default_cases())


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def show_lines(deadlocks, bad):
    """The searches systemd gave up, and the first 40 differences."""
    for line in deadlocks:
        print("SYSTEMD_DEADLOCK: " + line, file=sys.stderr)
    for line in bad[:40]:
        print(line, file=sys.stderr)


def next_lines(expr, after, local, tz, n):
    """hbctl next's lines for EXPR after AFTER (RFC 3339), with TZ=LOCAL
    and --tz TZ where given; None when it refused EXPR."""
    args = [HBCTL, "next", expr, "--after", after, "--count", str(n)]
    if tz:
        args += ["--tz", tz]
    env = {"PATH": os.environ.get("PATH", ""), "TZ": local,
           "HBRUN_CONFIG": "/nonexistent/hbrun.conf"}
    env.update(harness.SANITIZER_ENV)
    p = subprocess.run(WRAPPER + args, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(60))
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(p.stderr):
        raise AssertionError("valgrind: hbctl next %r:\n%s" % (expr, p.stderr))
    if p.returncode == 2:
        return None
    if p.returncode not in (0, 1):
        raise AssertionError("hbctl next %r: exit %d %s" % (expr, p.returncode, p.stderr))
    return p.stdout.split()


def ours(expr, tz, base, n=N):
    """hbctl next's due times (Unix seconds); None when it refused EXPR."""
    lines = next_lines(expr, iso(base), tz or "UTC", tz, n)
    if lines is None:
        return None
    return [int(datetime.datetime.fromisoformat(line).timestamp()) for line in lines]


def many(jobs):
    """ours() of each (expr, tz, base), a few at a time."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda j: ours(*j), jobs))


# ---- cron ---------------------------------------------------------------

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
WORDS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]


def cron_value(rng, v, lo, names):
    if names and v - lo < len(names) and rng.random() < 0.3:
        name = names[v - lo]
        return rng.choice([name, name.upper(), name.capitalize()])
    return str(v)


def cron_field(rng, lo, hi, names=None, dense=False):
    r = rng.random()
    if r < (0.4 if dense else 0.3):
        return "*"
    if r < (0.55 if dense else 0.45):
        return "*/%d" % rng.randint(1, hi - lo + 1)  # steps that do not divide, too
    parts = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        a = rng.randint(lo, hi)
        if rng.random() < 0.5:
            parts.append(cron_value(rng, a, lo, names))
            continue
        b = rng.randint(a, hi)
        step = "/%d" % rng.randint(1, b - a + 1) if rng.random() < 0.4 else ""
        parts.append("%s-%s%s" % (cron_value(rng, a, lo, names), cron_value(rng, b, lo, names),
                                  step))
    return ",".join(parts)


def cron_expr(rng):
    if rng.random() < 0.04:
        return rng.choice(WORDS)
    return " ".join([cron_field(rng, 0, 59), cron_field(rng, 0, 23, dense=True),
                     cron_field(rng, 1, 31, dense=True), cron_field(rng, 1, 12, MONTHS, True),
                     cron_field(rng, 0, 7, DAYS, True)])


def croniter_run(cases):
    p = subprocess.run([DEBIAN_PYTHON, ORACLE], input=json.dumps(cases), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=scaled(600))
    if p.returncode != 0:
        raise AssertionError("croniter oracle: %s" % p.stderr)
    return json.loads(p.stdout)


def have_croniter():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import croniter"],
                          stderr=subprocess.DEVNULL).returncode == 0


# croniter's own reading of the exceptions' examples.
CRONITER_ODD = """if True:
    import datetime, sys
    from croniter import croniter
    base = datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc)
    it = croniter(sys.argv[2] if len(sys.argv) > 2 else "0 9 */2 * 1", base)
    print(*[int(it.get_next(float)) for _ in range(3)])
"""


class Cron(unittest.TestCase):
    def setUp(self):
        if not have_croniter():
            self.fail("python3-croniter is not installed for %s (.ci/install-deps)"
                      % DEBIAN_PYTHON)

    def test_generated_expressions_match_croniter(self):
        rng = random.Random(SEED)
        cases = []
        for _ in range(CASES):
            cases.append({"expr": cron_expr(rng), "tz": rng.choice(NO_DST),
                          "base": rng.randint(BASE_LO, BASE_HI), "n": N})
        want = croniter_run(cases)
        got = many([(c["expr"], c["tz"], c["base"]) for c in cases])
        bad, kinds = [], {}
        for case, w, g in zip(cases, want, got):
            kinds[w["kind"]] = kinds.get(w["kind"], 0) + 1
            if "error" in w:
                bad.append("%s [%s]: croniter refused it (%s), hbctl gave %s"
                           % (case["expr"], case["tz"], w["error"], g))
            elif g != w["times"]:
                bad.append("%s [%s] after %s (%s): hbctl %s, croniter %s"
                           % (case["expr"], case["tz"], iso(case["base"]), w["kind"],
                              [iso(t) for t in g or []], [iso(t) for t in w["times"]]))
        print("cron: seed %d, %s" % (SEED, kinds), file=sys.stderr)
        if CASES >= 200:
            self.assertGreater(kinds.get("STAR_AND", 0), 0)
            self.assertGreater(kinds.get("FULL_DAYS", 0), 0)
        for line in bad[:40]:
            print(line, file=sys.stderr)
        self.assertEqual(len(bad), 0, "%d of %d differ" % (len(bad), len(cases)))

    def test_star_and_is_where_croniter_differs(self):
        # Odd-dated Mondays by Debian's cron; croniter takes any odd date.
        base = int(datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc).timestamp())
        self.assertEqual([iso(t) for t in ours("0 9 */2 * 1", "UTC", base, 3)],
                         ["2026-12-07T09:00:00Z", "2026-12-21T09:00:00Z",
                          "2027-01-11T09:00:00Z"])
        w = subprocess.run([DEBIAN_PYTHON, "-c", CRONITER_ODD, str(base)], text=True,
                           stdout=subprocess.PIPE, check=True).stdout.split()
        self.assertEqual([iso(int(t)) for t in w],
                         ["2026-12-01T09:00:00Z", "2026-12-03T09:00:00Z",
                          "2026-12-05T09:00:00Z"])

    def test_full_days_is_where_croniter_differs(self):
        # The 22nd or any day of the week: every day, by Debian's cron;
        # croniter takes "1-7" for "*" and gives the 22nd alone.
        base = int(datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc).timestamp())
        self.assertEqual([iso(t) for t in ours("0 9 22 * 1-7", "UTC", base, 3)],
                         ["2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z",
                          "2026-12-03T09:00:00Z"])
        w = subprocess.run([DEBIAN_PYTHON, "-c", CRONITER_ODD, str(base), "0 9 22 * 1-7"],
                           text=True, stdout=subprocess.PIPE, check=True).stdout.split()
        self.assertEqual([iso(int(t)) for t in w],
                         ["2026-12-22T09:00:00Z", "2027-01-22T09:00:00Z",
                          "2027-02-22T09:00:00Z"])


# ---- calendar events ----------------------------------------------------

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FULL = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SHORTHANDS = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually",
              "quarterly", "semiannually"]


def cal_element(rng, lo, hi, width=2):
    """One element: A, A..B, A/R (A + R within the field), A..B/R."""
    a = rng.randint(lo, hi)
    fmt = "%0" + str(width) + "d" if rng.random() < 0.7 else "%d"
    r = rng.random()
    if r < 0.45 or a == hi:
        return fmt % a
    if r < 0.7:
        return (fmt % a) + "/" + str(rng.randint(1, hi - a))
    b = rng.randint(a, hi)
    step = "/%d" % rng.randint(1, max(1, b - a)) if rng.random() < 0.4 else ""
    return (fmt % a) + ".." + (fmt % b) + step


def cal_field(rng, lo, hi, star=0.4, width=2):
    if rng.random() < star:
        return "*"
    return ",".join(cal_element(rng, lo, hi, width) for _ in range(rng.choice([1, 1, 2, 3])))


def cal_weekdays(rng):
    parts = []
    for _ in range(rng.choice([1, 1, 2])):
        a = rng.randint(0, 6)
        names = FULL if rng.random() < 0.2 else WEEKDAYS
        if rng.random() < 0.5:
            parts.append(names[a])
        else:
            b = rng.randint(a, 6)
            parts.append(names[a] + rng.choice(["..", "-"]) + names[b])
    return ",".join(parts)


def cal_day(rng):
    if rng.random() < 0.15:  # from the month's end
        n = rng.randint(1, 28)
        r = rng.random()
        if r < 0.5 or n == 1:
            return "~%02d" % n
        if r < 0.75:
            return "~%02d/%d" % (n, rng.randint(1, n - 1))
        return "~%02d..%02d" % (rng.randint(1, n), n)
    return "-" + cal_field(rng, 1, 31, 0.4)


def cal_event(rng, year):
    if rng.random() < 0.06:
        return rng.choice(SHORTHANDS)
    words = []
    if rng.random() < 0.3:
        words.append(cal_weekdays(rng))
    r = rng.random()
    if r < 0.5:
        month = cal_field(rng, 1, 12, 0.5)
        date = month + cal_day(rng)
        if rng.random() < 0.4:
            years = "*" if rng.random() < 0.5 else "%d..%d" % (year, year + rng.randint(0, 6))
            date = years + "-" + date
        words.append(date)
    if r > 0.2 or not words:
        time_ = cal_field(rng, 0, 23, 0.3) + ":" + cal_field(rng, 0, 59, 0.2)
        if rng.random() < 0.3:
            time_ += ":" + cal_field(rng, 0, 59, 0.3)
        words.append(time_)
    return " ".join(words)


DEADLOCK = "DEADLOCK"
STAMP = re.compile(r"^\s*(?:Next elapse|Iter\. #\d+|\(in UTC\)):\s+\w+ (\S+ \S+) UTC$")


def systemd_run(exprs, base, n, tz="UTC"):
    """systemd-analyze's due times of each of EXPRS (in local zone TZ;
    BASE in seconds, or their text with a fraction); where it refused one,
    each is asked alone and gets None (refused) or DEADLOCK (it gave up its
    search)."""
    p = subprocess.run(["systemd-analyze", "calendar", "--iterations=%d" % n,
                        "--base-time=@%s" % base] + exprs, env={"TZ": tz, "PATH":
                        os.environ.get("PATH", ""), "SYSTEMD_COLORS": "0"},
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=scaled(300))
    out = []
    for block in p.stdout.split("Normalized form:")[1:]:
        times = []
        for line in block.splitlines():
            m = STAMP.match(line)
            if m:
                times.append(int(datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
                                 .replace(tzinfo=datetime.timezone.utc).timestamp()))
        out.append(times)
    if p.returncode == 0 and len(out) == len(exprs) and not p.stderr:
        return out
    if len(exprs) > 1:
        return [systemd_run([e], base, n, tz)[0] for e in exprs]
    return [DEADLOCK if "Failed to determine next elapse" in p.stderr else None]


def in_second_pass(base, zone):
    """SYSTEMD_FROM_REPEAT: BASE lies in the second pass of a repeated
    local time of ZONE; the end of that pass instead."""
    tz = zoneinfo.ZoneInfo(zone)
    t = base
    while datetime.datetime.fromtimestamp(t, tz).fold == 1:
        t += 60
    return t


# ---- fractions of a second, the local zone's abbreviation ----------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
US = 1000000
# Zones whose abbreviations an event may end in: daylight saving time in
# either hemisphere, of half an hour (Lord_Howe), negative (Dublin, whose
# winter is the C library's daylight saving time), numeric names, none.
ABBR_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/Dublin",
              "America/Santiago", "Australia/Lord_Howe", "Asia/Beirut", "Asia/Tokyo"]
OTHER_ABBRS = ["PST", "EET", "CET", "EST", "XYZT", "MSK"]


def iso_us(t):
    return (EPOCH + datetime.timedelta(microseconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp_us(t):
    """T (microseconds) as systemd-analyze's --base-time takes it."""
    return "%d.%06d" % divmod(t, US)


def ours_us(expr, base, local, tz=None, n=N):
    """hbctl next's due times in microseconds, from BASE (microseconds),
    with TZ=LOCAL; None when it refused EXPR."""
    lines = next_lines(expr, iso_us(base), local, tz, n)
    if lines is None:
        return None
    return [(datetime.datetime.fromisoformat(line) - EPOCH) // datetime.timedelta(
        microseconds=1) for line in lines]


def many_us(jobs):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda j: ours_us(*j), jobs))


def sec_value(rng):
    """Seconds with a fraction of one to seven digits (the seventh rounds)."""
    a = rng.randint(0, 59)
    if rng.random() < 0.25:
        return "%02d" % a
    digits = rng.randint(1, 7)
    return "%02d.%0*d" % (a, digits, rng.randrange(10 ** digits))


def sec_repeat(rng):
    """A repetition of half a second or more (SYSTEMD_DENSE)."""
    if rng.random() < 0.4:
        return rng.choice(["0.5", "0.75", "1.5", "0.666667", "0.5000004"])
    return "%d.%d" % (rng.randint(1, 30), rng.randint(0, 9))


def frac_seconds(rng):
    """A list of seconds with fractions, some of it what systemd refuses
    (a range backwards or under a second, a repetition past the minute)."""
    parts = []
    for _ in range(rng.choice([1, 1, 2])):
        a, r = sec_value(rng), rng.random()
        if r < 0.4:
            parts.append(a)
        elif r < 0.7:
            parts.append(a + "/" + sec_repeat(rng))
        else:
            step = "/" + sec_repeat(rng) if rng.random() < 0.5 else ""
            parts.append(a + ".." + sec_value(rng) + step)
    return ",".join(parts)


def range_field(rng, lo, hi):
    """A field of values, ranges and repetitions without an end, which
    systemd carries past the field's end."""
    if rng.random() < 0.4:
        return "*"
    parts = []
    for _ in range(rng.choice([1, 1, 2])):
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        r = rng.random()
        if r < 0.35 or a == hi:
            parts.append("%02d" % a)
        elif r < 0.65:
            parts.append("%02d/%d" % (a, rng.randint(1, hi - a)))
        else:
            parts.append("%02d..%02d/%d" % (a, b, rng.randint(1, max(1, b - a))))
    return ",".join(parts)


def frac_event(rng, year, whole=False):
    """An event with fractions of seconds (WHOLE: seconds without, or
    none)."""
    words = []
    if rng.random() < 0.2:
        words.append(cal_weekdays(rng))
    if rng.random() < 0.3:
        words.append(cal_field(rng, 1, 12, 0.5) + cal_day(rng))
    secs = "" if whole and rng.random() < 0.5 else ":" + (
        range_field(rng, 0, 59) if whole else frac_seconds(rng))
    words.append(range_field(rng, 0, 23) + ":" + range_field(rng, 0, 59) + secs)
    return " ".join(words)


def local_abbrs(zone):
    """The C library's tzname[] of ZONE, as systemd reads it."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    libc = ctypes.CDLL(None)
    libc.tzset()
    names = [n.decode() for n in (ctypes.c_char_p * 2).in_dll(libc, "tzname")]
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    libc.tzset()
    return names


def dst_change_after(t, zone):
    """The first second after T (seconds) whose daylight saving flag, by
    the C library in ZONE, differs from T's; and whether clocks go back
    there."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    flag = time.localtime(t).tm_isdst
    near, far = t, t
    while time.localtime(far).tm_isdst == flag and far < t + 30 * 366 * 86400:
        near, far = far, far + 86400
    while far - near > 1:
        mid = (near + far) // 2
        near, far = (mid, far) if time.localtime(mid).tm_isdst == flag else (near, mid)
    back = time.localtime(far).tm_gmtoff < time.localtime(near).tm_gmtoff
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()
    return far, back


def seconds_of(times):
    return times and [t // US for t in times]


class Calendar(unittest.TestCase):
    def setUp(self):
        if not shutil.which("systemd-analyze"):
            self.fail("systemd-analyze is not installed (.ci/install-deps)")

    def test_generated_events_match_systemd(self):
        rng = random.Random(SEED + 1)
        # Half as many events as cron expressions: three fifths plain, a
        # fifth with fractions, a fifth ending in an abbreviation.
        batches, total, moved = [], max(1, CASES * 3 // 10), 0
        while sum(len(b[2]) for b in batches) < total:
            zone = rng.choice(ALL_ZONES)
            base = rng.randint(BASE_LO, BASE_HI)
            shifted = in_second_pass(base, zone)
            moved += shifted != base
            year = datetime.datetime.fromtimestamp(base, datetime.timezone.utc).year
            exprs = []
            for _ in range(min(40, total - sum(len(b[2]) for b in batches))):
                e = cal_event(rng, year)
                exprs.append(e + " " + zone if rng.random() < 0.5 or zone == "UTC" else e)
            batches.append((zone, shifted, exprs))
        bad, compared, deadlocks = [], 0, []
        for zone, base, exprs in batches:
            # The local zone of an event without one: TZ for systemd, --tz for hbctl.
            full = [e if e.endswith(" " + zone) else e + " " + zone for e in exprs]
            want = systemd_run(full, base, N)
            got = many([(e, zone, base) for e in exprs])
            for e, w, g in zip(exprs, want, got):
                compared += 1
                if w is DEADLOCK:
                    deadlocks.append("%s [%s] after %s" % (e, zone, iso(base)))
                    continue
                if w is None and g is None:
                    continue
                if g != (w or [])[:len(g or [])] or len(g or []) != min(N, len(w or [])):
                    bad.append("%s [%s] after %s: hbctl %s, systemd %s"
                               % (e, zone, iso(base), g and [iso(t) for t in g],
                                  w and [iso(t) for t in w]))
        print("calendar: seed %d, %d events, %d bases moved out of a repeated hour "
              "(SYSTEMD_FROM_REPEAT), %d where systemd gave up (SYSTEMD_DEADLOCK)"
              % (SEED + 1, compared, moved, len(deadlocks)), file=sys.stderr)
        show_lines(deadlocks, bad)
        self.assertEqual(len(bad), 0, "%d of %d differ" % (len(bad), compared))

    def compare(self, e, zone, base, w, g, bad):
        """Whether hbctl's G matches systemd's W, by their seconds."""
        g = seconds_of(g)
        if w is None and g is None:
            return
        if g != (w or [])[:len(g or [])] or len(g or []) != min(N, len(w or [])):
            bad.append("%s [%s] after %s: hbctl %s, systemd %s"
                       % (e, zone, base, g and [iso(t) for t in g], w and [iso(t) for t in w]))

    def test_generated_fractions_match_systemd(self):
        rng = random.Random(SEED + 2)
        total, compared, accepted, bad, deadlocks = max(1, CASES // 10), 0, 0, [], []
        while compared < total:
            zone = rng.choice(ALL_ZONES)
            base = (in_second_pass(rng.randint(BASE_LO, BASE_HI), zone) * US +
                    rng.randrange(US))
            year = datetime.datetime.fromtimestamp(base // US, datetime.timezone.utc).year
            exprs = [frac_event(rng, year) + " " + zone
                     for _ in range(min(20, total - compared))]
            want = systemd_run(exprs, stamp_us(base), N)
            got = many_us([(e, base, "UTC") for e in exprs])
            for e, w, g in zip(exprs, want, got):
                compared += 1
                if w is DEADLOCK:
                    deadlocks.append("%s after %s" % (e, iso_us(base)))
                    continue
                accepted += w is not None
                self.compare(e, zone, iso_us(base), w, g, bad)
        print("fractions: seed %d, %d events, %d taken by systemd, %d where it gave up "
              "(SYSTEMD_DEADLOCK)" % (SEED + 2, compared, accepted, len(deadlocks)),
              file=sys.stderr)
        show_lines(deadlocks, bad)
        if total >= 50:
            self.assertGreater(accepted, total // 4)
            self.assertLess(accepted, total)
        self.assertEqual(len(bad), 0, "%d of %d differ" % (len(bad), compared))

    def abbr_batch(self, rng, zone, names):
        base = in_second_pass(rng.randint(BASE_LO, BASE_HI), zone) * US
        if rng.random() < 0.3:
            base += rng.randrange(US)
        year = datetime.datetime.fromtimestamp(base // US, datetime.timezone.utc).year
        exprs = []
        for _ in range(10):
            r = rng.random()
            body = (rng.choice(SHORTHANDS) if r < 0.15 else
                    frac_event(rng, year, whole=r > 0.35))
            word = rng.choice(names) if rng.random() < 0.85 else rng.choice(OTHER_ABBRS)
            exprs.append(body + " " + rng.choice([word, word.lower(), word.capitalize()]))
        return base, exprs

    def test_generated_abbreviations_match_systemd(self):
        rng = random.Random(SEED + 3)
        total, compared, local_n, past, bad = max(1, CASES // 10), 0, 0, 0, []
        deadlocks = []
        while compared < total:
            zone = rng.choice(ABBR_ZONES)
            names = [n.lower() for n in local_abbrs(zone)]
            base, exprs = self.abbr_batch(rng, zone, names)
            exprs = exprs[:total - compared]
            want = systemd_run(exprs, stamp_us(base), N, zone)
            got = many_us([(e, base, zone) for e in exprs])
            end = dst_change_after((base + 1) // US, zone)[0]
            for e, w, g in zip(exprs, want, got):
                compared += 1
                local = e.rsplit(" ", 1)[1].lower() in names
                local_n += local
                if w is DEADLOCK:
                    deadlocks.append("%s [TZ=%s] after %s" % (e, zone, iso_us(base)))
                    continue
                if w and local and any(t >= end for t in w):
                    past += 1  # SYSTEMD_ABBR_PAST_CHANGE
                    w = [t for t in w if t < end]
                self.compare(e, "TZ=" + zone, iso_us(base), w, g, bad)
        print("abbreviations: seed %d, %d events, %d ending in the local zone's, %d where "
              "systemd went past the change (SYSTEMD_ABBR_PAST_CHANGE), %d where it gave up "
              "(SYSTEMD_DEADLOCK)" % (SEED + 3, compared, local_n, past, len(deadlocks)),
              file=sys.stderr)
        show_lines(deadlocks, bad)
        if total >= 50:
            self.assertGreater(local_n, total // 2)
        self.assertEqual(len(bad), 0, "%d of %d differ" % (len(bad), compared))

    def test_systemd_abbr_past_change_is_where_systemd_differs(self):
        # From 00:00 CEST on 31 October 2027: systemd's last is 03:30 CET,
        # past the change at 03:00 CEST; hbrun stops at 02:30 CEST.
        base = int(datetime.datetime(2027, 10, 30, 22, 0, tzinfo=datetime.timezone.utc)
                   .timestamp())
        ev = "*-*-* *:30:00 CEST"
        self.assertEqual(systemd_run([ev], base, 6, "Europe/Berlin"),
                         [[base + 1800, base + 5400, base + 9000, base + 16200]])
        self.assertEqual(seconds_of(ours_us(ev, base * US, "Europe/Berlin", n=6)),
                         [base + 1800, base + 5400, base + 9000])
        self.assertEqual(dst_change_after(base, "Europe/Berlin"), (base + 3 * 3600, True))
        # Stepping over the summer, systemd goes on a year later; hbrun
        # stops at the spring's change.
        jan = int(datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
        dec = jan - 10 * 86400
        self.assertEqual(systemd_run(["annually CET"], dec, 2, "Europe/Berlin"),
                         [[jan - 3600, jan + 365 * 86400 - 3600]])
        self.assertEqual(seconds_of(ours_us("annually CET", dec * US, "Europe/Berlin")),
                         [jan - 3600])
        # Outside its stretch, neither finds any.
        self.assertEqual(systemd_run(["Mon 09:00 CET"], base, 2, "Europe/Berlin"), [[]])
        self.assertEqual(ours_us("Mon 09:00 CET", base * US, "Europe/Berlin"), [])

    # Repetitions carried past their field's end: (event, local zone, base
    # time, the due time that the carry skips).
    CARRIES = [
        ("*:10/33:00 Asia/Kolkata", "UTC", "2030-08-24T18:18:00", "2030-08-24T18:40:00"),
        ("*-*-* *:10/33:00", "UTC", "2026-12-07T22:40:00", "2026-12-08T00:10:00"),
        ("*:59,0:0/7", "UTC", "2026-12-07T22:59:50", "2026-12-07T23:00:00"),
        ("*:*:0/7.3", "UTC", "2026-12-07T23:00:50", "2026-12-07T23:01:00"),
        ("0/7:00", "UTC", "2026-11-30T20:00:00", "2026-12-01T00:00:00"),
        ("*-*-1/12", "UTC", "2026-12-25T00:00:00", "2027-01-01T00:00:00"),
        ("*:*:0/7", "UTC", "2026-12-31T23:59:50", "2027-01-01T00:00:00"),
        ("Mon,Tue *:10/33", "UTC", "2026-12-07T23:40:00", "2026-12-08T00:10:00"),
        ("*:10/33 Europe/Berlin", "Europe/Berlin", "2027-03-27T22:40:00",
         "2027-03-27T23:10:00"),
        ("*:10/33 Europe/Berlin", "Europe/Berlin", "2027-10-30T21:40:00",
         "2027-10-30T22:10:00"),
        ("*:2..5,0/7:0/7.3", "UTC", "2026-12-07T23:56:50", "2026-12-08T00:00:00"),
        ("1/7,4,5:59,0:0/7.3", "UTC", "2026-11-30T22:59:50", "2026-12-01T01:00:00"),
        ("*:10/33", "America/Santiago", "2027-09-05T03:30:00", "2027-09-05T04:10:00"),
        ("0/5:00 Europe/Berlin", "Europe/Berlin", "2027-10-30T18:00:00",
         "2027-10-31T23:00:00"),
    ]

    def test_repeat_carry_matches_systemd(self):
        # The carried value skips what lies before its remainder in the
        # next unit; both give the same due times, without the skipped one.
        for ev, local, base, skipped in self.CARRIES:
            base = int(datetime.datetime.fromisoformat(base + "+00:00").timestamp())
            skipped = int(datetime.datetime.fromisoformat(skipped + "+00:00").timestamp())
            want = systemd_run([ev], base, 6, local)[0]
            got = seconds_of(ours_us(ev, base * US, local, n=6))
            self.assertEqual(got, want, ev)
            self.assertNotIn(skipped, got, ev)
            self.assertTrue(base < skipped < got[-1], ev)
        # Without the carry into another day the hour starts again: an
        # hour earlier, 22:48 IST, the next is 23:10.
        base = int(datetime.datetime(2030, 8, 24, 17, 18, tzinfo=datetime.timezone.utc)
                   .timestamp())
        self.assertEqual(seconds_of(ours_us("*:10/33:00 Asia/Kolkata", base * US, "UTC", n=1)),
                         [base + 22 * 60])
        # A carry into a day that is not due starts the next due one anew.
        base = int(datetime.datetime(2026, 12, 7, 23, 40, tzinfo=datetime.timezone.utc)
                   .timestamp())
        self.assertEqual([iso(t) for t in seconds_of(ours_us("Mon *:10/33", base * US, "UTC",
                                                             n=2))],
                         ["2026-12-07T23:43:00Z", "2026-12-14T00:10:00Z"])

    def test_systemd_repeat_carry_is_where_systemd_differs(self):
        # Seconds carried past 01:59 CET into the skipped hour: systemd
        # keeps them in 03:00 CEST; hbrun starts 03:00 anew.
        base = int(datetime.datetime(2027, 3, 28, 0, 59, 50, tzinfo=datetime.timezone.utc)
                   .timestamp())
        ev = "0..1,3:59,0:0/7 Europe/Berlin"
        self.assertEqual(systemd_run([ev], base, 2), [[base + 6, base + 17]])
        self.assertEqual(seconds_of(ours_us(ev, base * US, "UTC", n=2)), [base + 6, base + 10])
        # Past the first pass's 02:59 CEST: systemd starts 03:00 CET anew,
        # hbrun keeps the carried seconds.
        base = int(datetime.datetime(2027, 10, 31, 0, 59, 50, tzinfo=datetime.timezone.utc)
                   .timestamp())
        ev = "*:59,0:0/7 Europe/Berlin"
        self.assertEqual(systemd_run([ev], base, 2), [[base + 6, base + 3610]])
        self.assertEqual(seconds_of(ours_us(ev, base * US, "UTC", n=2)),
                         [base + 6, base + 3617])
        # The day before, both keep them.
        self.assertEqual(systemd_run([ev], base - 86400, 2),
                         [[base - 86400 + 6, base - 86400 + 17]])
        self.assertEqual(seconds_of(ours_us(ev, (base - 86400) * US, "UTC", n=2)),
                         [base - 86400 + 6, base - 86400 + 17])

    def test_systemd_dense_is_where_hbrun_refuses(self):
        base = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
        self.assertEqual(systemd_run(["*:*:0/0.01"], base, 2), [[base, base]])
        self.assertIsNone(ours_us("*:*:0/0.01", base * US, "UTC"))
        self.assertIsNone(ours_us("*:*:0/0.1", base * US, "UTC"))
        # At the limit, four a second, both take it (not under valgrind,
        # where 345600 due times a day take seconds).
        if harness.UNDER_VALGRIND:
            return
        self.assertEqual(ours_us("*:*:0/0.25", base * US, "UTC", n=2),
                         [base * US + 250000, base * US + 500000])
        self.assertEqual(systemd_run(["*:*:0/0.25"], base, 2), [[base, base]])

    def test_systemd_deadlock_is_where_systemd_gives_up(self):
        base = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
        self.assertEqual(systemd_run(["03/7-02,17 America/St_Johns"], base, 3), [DEADLOCK])
        want = systemd_run(["*-03,10-02,17 America/St_Johns"], base, 3)[0]
        self.assertEqual(len(want), 3)
        self.assertEqual(ours("03/7-02,17 America/St_Johns", None, base, 3), want)

    def test_systemd_from_repeat_is_where_systemd_differs(self):
        # 02:05 CET on 25 October 2026, the second pass of 02:00-03:00:
        # systemd goes on at 02:15 CET; a running timer fired at 02:15 CEST
        # and is next due the day after.
        base = int(datetime.datetime(2026, 10, 25, 1, 5, tzinfo=datetime.timezone.utc)
                   .timestamp())
        ev = "*-*-* 02:00/15 Europe/Berlin"
        self.assertEqual(systemd_run([ev], base, 1), [[base + 600]])
        self.assertEqual([iso(t) for t in ours(ev, None, base, 1)], ["2026-10-26T01:00:00Z"])
        self.assertEqual(in_second_pass(base, "Europe/Berlin"), base + 55 * 60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
