"""hbctl next, the real binary: a schedule's due times, in RFC 3339 with
the zone's offset, and nothing else; an unusable expression or zone is
exit 2; no API key, no config, nothing sent.

    HBCTL=build/src/hbctl/hbctl python3 tests/e2e/test_next.py
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import WRAPPER, scaled  # noqa: E402

HBCTL = os.environ.get("HBCTL", "")
if not HBCTL or not os.access(HBCTL, os.X_OK):
    raise SystemExit("tests: set HBCTL to the hbctl binary (meson test does this)")

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d$")


def next_(*args, env=None):
    """hbctl next ARGS with no key, no config and an unreachable API."""
    home = tempfile.mkdtemp(prefix="hbctl-next-")
    e = {"PATH": os.environ.get("PATH", ""), "HOME": home, "TZ": "UTC",
         "HBRUN_CONFIG": os.path.join(home, "absent.conf"),
         "HBRUN_API_URL": "http://127.0.0.1:9/"}
    e.update(harness.SANITIZER_ENV)
    e.update(env or {})
    p = subprocess.run(WRAPPER + [HBCTL, "next"] + list(args), env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(60))
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(p.stderr):
        raise AssertionError("valgrind found errors in hbctl next %s:\n%s" % (args, p.stderr))
    return p


class Next(unittest.TestCase):
    def due(self, *args, env=None):
        p = next_(*args, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        for line in p.stdout.splitlines():
            self.assertRegex(line, RFC3339)
        return p.stdout.split()

    def test_a_weekday_job_in_berlin(self):
        self.assertEqual(self.due("0 9 * * 1-5", "--tz", "Europe/Berlin", "--count", "3",
                                  "--after", "2026-12-04T10:00:00+01:00"),
                         ["2026-12-07T09:00:00+01:00", "2026-12-08T09:00:00+01:00",
                          "2026-12-09T09:00:00+01:00"])

    def test_five_by_default_and_count_bounds(self):
        self.assertEqual(len(self.due("@hourly")), 5)
        most = 100 if harness.UNDER_VALGRIND else 1000
        self.assertEqual(len(self.due("@hourly", "--count", str(most))), most)
        for bad in ("0", "1001", "x", "", "-1"):
            p = next_("@hourly", "--count", bad)
            self.assertEqual((p.returncode, p.stdout), (2, ""), bad)

    def test_calendar_event_with_its_own_zone_wins_over_tz(self):
        self.assertEqual(self.due("*-*-* 09:00 Asia/Kolkata", "--tz", "Europe/Berlin",
                                  "--count", "1", "--after", "2026-12-07T00:00:00Z"),
                         ["2026-12-07T09:00:00+05:30"])

    def test_the_local_zone_is_tz(self):
        self.assertEqual(self.due("0 9 * * *", "--count", "1", "--after",
                                  "2026-07-01T00:00:00Z", env={"TZ": "America/New_York"}),
                         ["2026-07-01T09:00:00-04:00"])

    def test_dst_by_grammar(self):
        after = ("--after", "2026-03-28T12:00:00Z", "--tz", "Europe/Berlin", "--count", "2")
        # Debian's cron runs the skipped 02:30 right after the change ...
        self.assertEqual(self.due("30 2 * * *", *after),
                         ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"])
        # ... systemd skips it
        self.assertEqual(self.due("*-*-* 02:30", *after),
                         ["2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"])

    def test_unusable_expression_or_zone_is_exit_2(self):
        for args in (["@reboot"], ["61 * * * *"], ["0 9 * * *", "--tz", "Nowhere/Zone"],
                     ["0 9 * * *", "--tz", "../../etc/passwd"], [""], ["Sat..Mon"],
                     ["0 9 * * *", "--after", "2026-12-08"], ["0 9 * * *", "--tz", ""]):
            p = next_(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertEqual(p.stdout, "", args)
            self.assertEqual(len(p.stderr.splitlines()), 1, (args, p.stderr))

    def test_a_fraction_of_a_second_in_six_digits(self):
        # After is after to the microsecond; a whole second has no fraction.
        for after in ("2026-12-08T09:00:00.3Z", "2026-12-08T09:00:00.4999999Z"):
            self.assertEqual(self.due("*:*:0/0.25", "--count", "3", "--after", after),
                             ["2026-12-08T09:00:00.500000+00:00",
                              "2026-12-08T09:00:00.750000+00:00",
                              "2026-12-08T09:00:01+00:00"])
        self.assertEqual(self.due("12:00:01.1234565", "--count", "1",
                                  "--after", "2026-12-08T00:00:00Z"),
                         ["2026-12-08T12:00:01.123457+00:00"])
        for bad in ("*:*:59.5/0.5", "*:*:1.", "12:00.5", "*:*:0/0.01"):
            self.assertEqual(next_(bad).returncode, 2, bad)

    def test_the_local_zones_abbreviation(self):
        berlin = {"TZ": "Europe/Berlin"}
        self.assertEqual(self.due("Mon 09:00 cet", "--count", "2", "--tz", "Asia/Tokyo",
                                  "--after", "2026-12-04T10:00:00Z", env=berlin),
                         ["2026-12-07T09:00:00+01:00", "2026-12-14T09:00:00+01:00"])
        # Due only while the zone keeps the name: the last Monday of winter.
        self.assertEqual(self.due("Mon 09:00 CET", "--count", "2",
                                  "--after", "2027-03-20T00:00:00Z", env=berlin),
                         ["2027-03-22T09:00:00+01:00"])
        p = next_("Mon 09:00 CEST", "--after", "2026-12-04T10:00:00Z", env=berlin)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertEqual(next_("Mon 09:00 CEST", env={"TZ": "America/New_York"}).returncode, 2)

    def test_never_due_is_said(self):
        p = next_("0 0 30 2 *")
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertIn("no due time", p.stderr)

    def test_needs_no_key_and_ignores_an_unusable_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("this is [not an ini\n")
            f.flush()
            os.chmod(f.name, 0o666)
            self.assertEqual(len(self.due("@daily", env={"HBRUN_CONFIG": f.name})), 5)


def check(*args, conf=None, env=None):
    """hbrun --check with ARGS (and config CONF), no request possible."""
    home = tempfile.mkdtemp(prefix="hbrun-check-")
    path = os.path.join(home, "hbrun.conf")
    if conf is not None:
        with open(path, "w") as f:
            f.write(conf)
        os.chmod(path, 0o600)
    e = {"PATH": os.environ.get("PATH", ""), "HOME": home, "TZ": "UTC",
         "HBRUN_CONFIG": path if conf is not None else os.path.join(home, "absent.conf")}
    e.update(harness.SANITIZER_ENV)
    e.update(env or {})
    p = subprocess.run(WRAPPER + [harness.HBRUN, "--check", "-t", "tok",
                                  "--ping-url", "http://127.0.0.1:9/{token}"] + list(args)
                       + ["--", "true"], env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(60))
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(p.stderr):
        raise AssertionError("valgrind found errors in hbrun --check:\n%s" % p.stderr)
    return p


class CheckSchedule(unittest.TestCase):
    def lines(self, p, prefix="ok: schedule: "):
        return [line[len(prefix):] for line in p.stdout.splitlines() if line.startswith(prefix)]

    def test_schedule_as_read_with_its_zone_and_where_from(self):
        p = check(conf="[backup]\nschedule = 0 9 * * 1-5\ntz = Asia/Kolkata\n", *["-j", "backup"])
        got = self.lines(p)
        self.assertRegex(got[0], r"^a cron expression .* in zone Asia/Kolkata \(tz, .*hbrun.conf:3\)$")
        due = got[1][len("next due "):].split(", ")
        self.assertEqual(len(due), 3)
        for t in due:
            self.assertRegex(t, r"^\d{4}-\d\d-\d\dT09:00:00\+05:30$")
        self.assertEqual(got[2], "longest gap 259200 s (3d), shortest 86400 s (1d), over this "
                                 "year and the 28 after it")
        self.assertEqual(len(got), 3)

    def test_an_event_names_its_own_zone(self):
        got = self.lines(check("--schedule", "daily America/New_York", "--tz", "Europe/Berlin"))
        self.assertIn("in zone America/New_York (named by the event)", got[0])

    def test_clock_change_stretching_the_gap_is_said(self):
        got = self.lines(check("--schedule", "*-*-* 02:30", "--tz", "Europe/Berlin"))
        self.assertRegex(got[-1], r"^a clock change makes the gap after \d{4}-03-\d\dT02:30:00"
                                  r"\+01:00 169200 s \(1d 23h\), where the longest is usually "
                                  r"86400 s \(1d\)$")

    def test_overlap_is_a_problem_without_a_lock(self):
        p = check("--schedule", "*/15 * * * *", "--timeout", "1200")
        self.assertIn("problem: timeout 1200 s is longer than the schedule's shortest gap 900 s,"
                      " and there is no lock: runs would overlap", p.stdout)
        self.assertEqual(p.returncode, 1)
        lock = os.path.join(tempfile.mkdtemp(prefix="hbrun-lock-"), "lock")
        p = check("--schedule", "*/15 * * * *", "--timeout", "1200", "--lock", lock)
        self.assertNotIn("overlap", p.stdout)
        p = check("--schedule", "*/15 * * * *", "--timeout", "900")
        self.assertNotIn("overlap", p.stdout)

    def test_gaps_with_a_fraction_are_exact(self):
        p = check("--schedule", "*:*:0/0.25", "--timeout", "0.3")
        self.assertEqual(self.lines(p)[2], "longest gap 0.25 s (0.25s), shortest 0.25 s "
                                           "(0.25s), over this year and the 28 after it")
        self.assertIn("problem: timeout 0.3 s is longer than the schedule's shortest gap "
                      "0.25 s, and there is no lock", p.stdout)
        self.assertNotIn("overlap", check("--schedule", "*:*:0/0.25", "--timeout",
                                          "0.25").stdout)
        got = self.lines(check("--schedule", "*:*:1.5..2.5"))
        self.assertEqual(got[2], "longest gap 59 s (59s), shortest 1 s (1s), over this "
                                 "year and the 28 after it")

    def test_unusable_schedule_or_zone_is_a_warning_and_no_figure(self):
        for args in (["--schedule", "61 * * * *"], ["--schedule", "@daily", "--tz", "Mars/Base"],
                     ["--schedule", ""], ["--schedule", "@daily", "--tz", ""]):
            p = check(*args)
            self.assertEqual(self.lines(p), [], args)
            self.assertEqual(len([line for line in p.stdout.splitlines()
                                  if line.startswith("hbrun: ") and "schedule" in line
                                  or "--tz" in line and line.startswith("hbrun: ")]), 1,
                             (args, p.stdout))
            self.assertNotIn("problem: timeout", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
