"""hbctl create, ensure and update with a schedule (hbctl(1)): the interval
sent is the schedule's longest gap; --interval beside it is a usage error;
`ensure NAME` reads schedule, tz, timeout and ping_deadline from the
config's section [NAME]; an unusable schedule or zone sends nothing.

    HBRUN=build/src/hbrun/hbrun HBCTL=build/src/hbctl/hbctl \
        python3 tests/e2e/test_hbctl_schedule.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))

from test_hbctl import KEY, HbctlCase  # noqa: E402

DAY = 86400


class WithSchedule(HbctlCase):
    def refused(self, res):
        """The fake server, as Tickstem's SDK table says, takes at most a
        day: the server judges the bounds, hbctl sends what the schedule
        needs and says the refusal."""
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("from 60 to 86400 (HTTP 400)", res.stderr)

    def sent(self, method):
        reqs = [r for r in self.srv.requests if r.method == method]
        self.assertEqual(len(reqs), 1, self.srv.requests)
        return self.body(reqs[0])

    def test_create_sends_the_longest_gap(self):
        self.refused(self.run_hbctl("create", "weekdays", "--schedule", "0 9 * * 1-5",
                                    "--tz", "Europe/Berlin"))
        body = self.sent("POST")
        # Friday to Monday, an hour longer over the autumn change.
        self.assertEqual((body["interval_secs"], body["grace_secs"]), (3 * DAY + 3600, 300))

    def test_a_leap_day_job_is_four_years(self):
        self.refused(self.run_hbctl("create", "leap", "--schedule", "0 0 29 2 *",
                                    "--grace", "60"))
        body = self.sent("POST")
        self.assertEqual((body["interval_secs"], body["grace_secs"]), (1461 * DAY, 60))

    def test_a_timer_over_a_clock_change(self):
        # systemd skips 02:30 on the night the clocks go forward: 47 h.
        self.refused(self.run_hbctl("create", "t", "--schedule",
                                    "*-*-* 02:30 Europe/Berlin"))
        self.assertEqual(self.sent("POST")["interval_secs"], 47 * 3600)

    def test_several_expressions_are_their_union(self):
        self.refused(self.run_hbctl("create", "u", "--schedule",
                                    "Mon..Fri 09:00; Sat 10:00", "--tz", "UTC"))
        self.assertEqual(self.sent("POST")["interval_secs"], 47 * 3600)

    def test_a_short_gap_is_the_least_interval(self):
        self.assertDone(self.run_hbctl("create", "s", "--schedule", "*:*:0/10"))
        self.assertEqual(self.sent("POST")["interval_secs"], 60)

    def test_a_gap_with_a_fraction_is_rounded_up(self):
        # 00.5 and 01 s of every other minute: the longest gap is 119.5 s.
        self.assertDone(self.run_hbctl("create", "f", "--schedule", "*:0/2:0.5,1",
                                       "--tz", "UTC"))
        self.assertEqual(self.sent("POST")["interval_secs"], 120)

    def test_update_sends_only_the_interval(self):
        hb = self.store.add("backup", interval_secs=600, grace_secs=30)
        self.assertDone(self.run_hbctl("update", hb["id"], "--schedule", "@daily"))
        self.assertEqual(self.sent("PATCH"), {"interval_secs": DAY})

    def test_interval_beside_schedule_is_a_usage_error(self):
        for cmd in (["create", "x"], ["ensure", "x"], ["update", "id1"]):
            res = self.run_hbctl(*cmd, "--schedule", "@daily", "--interval", "600")
            self.assertFails(res, 2, "cannot both be given")
        res = self.run_hbctl("create", "x", "--tz", "UTC")
        self.assertFails(res, 2, "--tz")
        self.assertNothingSent()

    def test_unusable_schedule_or_zone_sends_nothing(self):
        for args in (["--schedule", "@reboot"], ["--schedule", "61 * * * *"],
                     ["--schedule", "@daily", "--tz", "Nowhere/Zone"], ["--schedule", ""],
                     ["--schedule", "0 0 30 2 *"], ["--schedule", "@daily", "--tz", ""]):
            res = self.run_hbctl("create", "x", *args)
            self.assertFails(res, 2)
        self.assertNothingSent()

    def test_ensure_reads_the_jobs_section(self):
        self.sb.write_config("api_key = %s\n[backup]\nschedule = 0 */6 * * *\n"
                             "tz = Europe/Berlin\ntimeout = 1800\nping_deadline = 30\n" % KEY)
        res = self.run_hbctl("ensure", "backup", env=self.sb.env())
        self.assertDone(res)
        # A wildcard job follows the clock: 7 h across the autumn change.
        body = self.sent("POST")
        self.assertEqual((body["name"], body["interval_secs"], body["grace_secs"]),
                         ("backup", 7 * 3600, 1830))
        # Again: it exists with these values, nothing is written.
        self.assertDone(self.run_hbctl("ensure", "backup", env=self.sb.env()))
        self.assertEqual(len([r for r in self.srv.requests if r.method != "GET"]), 1)

    def test_ensure_without_a_timeout_takes_grace_300(self):
        self.sb.write_config("api_key = %s\n[report]\nschedule = @hourly\n" % KEY)
        self.assertDone(self.run_hbctl("ensure", "report", env=self.sb.env()))
        body = self.sent("POST")
        self.assertEqual((body["interval_secs"], body["grace_secs"]), (3600, 300))

    def test_ensure_of_a_section_with_an_unusable_schedule_sends_nothing(self):
        for conf in ("schedule = not a schedule\n", "schedule = @daily\ntz = Mars/Base\n",
                     "schedule =\n"):
            self.sb.write_config("api_key = %s\n[job]\n%s" % (KEY, conf))
            res = self.run_hbctl("ensure", "job", env=self.sb.env())
            self.assertEqual(res.returncode, 2, (conf, res))
        self.assertNothingSent()

    def test_ensure_without_a_schedule_is_as_before(self):
        self.sb.write_config("api_key = %s\n[job]\ntimeout = 60\n" % KEY)
        self.assertDone(self.run_hbctl("ensure", "job", env=self.sb.env()))
        body = self.sent("POST")
        self.assertEqual((body["interval_secs"], body["grace_secs"]), (3600, 300))


if __name__ == "__main__":
    unittest.main(verbosity=2)
