"""End-to-end tests of hbctl sync (hbctl(1), SYNC) with the real binary.

Sources are real formats: Debian's own /etc/crontab and cron.d files, the
unit files of packages installed here (apt-daily.timer, fstrim.timer, read
in place or copied with a drop-in of ours), the CronJob examples of
Kubernetes' documentation (sync_data/), and this project's packaging
examples.  The server is a FakeAPI with a HeartbeatStore; every request it
got is checked: a plan sends the list and nothing else, --apply exactly the
creates and PATCHes the plan named, a second --apply nothing but the list.

    HBRUN=build/src/hbrun/hbrun HBCTL=build/src/hbctl/hbctl python3 tests/e2e/test_sync.py
"""

import json
import os
import pwd
import random
import re
import shutil
import stat
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from fakeapi import HeartbeatStore  # noqa: E402
from servercase import ServerCase  # noqa: E402
from test_hbctl import KEY, hbctl, leaks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "sync_data")
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
UNITS = next((d for d in ("/lib/systemd/system", "/usr/lib/systemd/system")
              if os.path.exists(os.path.join(d, "apt-daily.timer"))), None)
CHANGES = 6


class SyncCase(ServerCase):
    def setUp(self):
        super().setUp()
        # Weekly jobs: the interval's upper end is the server's to judge.
        self.store = HeartbeatStore(api_key=KEY, max_secs=4 * 366 * 86400)
        self.srv = self.server(store=self.store)
        self.conf = self.sb.path("jobs.conf")

    def sync(self, *args, env=None, input=None, api=True):
        env = env or self.sb.env(TICKSTEM_API_KEY=KEY)
        pre = ["--api-url", self.srv.url] if api else []
        res = hbctl(pre + ["sync"] + list(args), env, input=input)
        for hb in self.store.heartbeats:   # no token anywhere it says
            self.assertEqual(leaks(res.stdout + res.stderr, hb["token"]), [], res)
        return res

    def crontab(self, text, name="crontab"):
        return self.sb.write_file(name, text, 0o644)

    def requests(self):
        return [(r.method, r.path.split("?")[0]) for r in self.srv.requests]

    def assertListOnly(self, n=1):
        self.assertEqual(self.requests(), [("GET", "/v1/heartbeats")] * n)

    def by_name(self):
        return {h["name"]: h for h in self.store.heartbeats}


class TestPlan(SyncCase):
    def test_plan_lines_and_only_the_list_sent(self):
        tab = self.crontab(
            "# by hand\nCRON_TZ=Etc/UTC\nMAILTO=root\n"
            "@daily  hbrun -j nightly -c %s -- /bin/backup %%x\n"
            "0 * * * * cd /srv && env A=1 nice -n 5 /usr/bin/hbrun --job=hourly -c %s -- x\n"
            "15 3 * * * hbrun -- /bin/no-name\n"
            "30 2 * * * /usr/local/bin/cleanup --all\n"
            "@reboot hbrun -j boot -c %s -- x\n"
            "5 4 * *\n" % (self.conf, self.conf, self.conf))
        self.store.add(name="hourly", interval_secs=3600, grace_secs=300)
        res = self.sync("--crontab-user", "--crontab", tab)
        self.assertEqual(res.returncode, CHANGES, res)
        self.assertEqual(res.stdout.splitlines(), [
            "create nightly every 86400 grace 300 (%s:4), token to %s [nightly]"
            % (tab, self.conf),
            "ok hourly",
            "no job name %s:6" % tab,
            "unmonitored %s:7 /usr/local/bin/cleanup --all" % tab,
            "skip boot: %s:8: " % tab + res.stdout.split("%s:8: " % tab)[1].split("\n")[0],
            "skip %s:9: fewer than five time fields" % tab,
        ])
        self.assertListOnly()
        self.assertFalse(os.path.exists(self.conf))

    def test_enabled_instances_of_a_template_timer(self):
        # As systemctl enable foo@bar.timer leaves it: a link named after
        # the instance in timers.target.wants/ to the template's file.
        units = self.sb.path("units")
        os.makedirs(os.path.join(units, "timers.target.wants"))
        os.makedirs(os.path.join(units, "foo@baz.timer.d"))
        self.sb.write_file("units/foo@.timer", "[Unit]\n[Timer]\nOnCalendar=daily\n", 0o644)
        self.sb.write_file("units/foo@.service", "[Service]\nExecStart=/usr/bin/hbrun "
                           "-j backup-%%i -c %s -- /bin/backup %%I\n" % self.conf, 0o644)
        self.sb.write_file("units/foo@baz.timer.d/fast.conf",
                           "[Timer]\nOnCalendar=\nOnCalendar=hourly\nAccuracySec=1s\n", 0o644)
        self.sb.write_file("units/lone@.timer", "[Timer]\nOnCalendar=daily\n", 0o644)
        self.sb.write_file("units/lone@.service", "[Service]\nExecStart=/usr/bin/hbrun "
                           "-j lone -c %s -- /bin/x\n" % self.conf, 0o644)
        for inst in ("bar", "baz"):
            os.symlink(os.path.join(units, "foo@.timer"),
                       os.path.join(units, "timers.target.wants", "foo@%s.timer" % inst))
        res = self.sync("--units", units)
        self.assertEqual(res.returncode, CHANGES, res)
        self.assertEqual(res.stdout.splitlines(), [
            "create backup-bar every 86400 grace 360 (%s/foo@.timer:3), token to %s "
            "[backup-bar]" % (units, self.conf),
            "create backup-baz every 3600 grace 301 (%s/foo@baz.timer.d/fast.conf:3), "
            "token to %s [backup-baz]" % (units, self.conf),
        ])
        self.assertListOnly()

    def test_dropins_of_prefixes_and_of_the_type(self):
        # Two folders as /etc and /usr/lib: every drop-in folder systemd
        # reads for a-b-c.timer, a-b@x.timer and their services; a file name
        # in hi hides lo's, a unit's prefixes' folders come before timer.d/.
        hi, lo = self.sb.path("hi"), self.sb.path("lo")
        files = {
            "lo/a-b-c.timer": "[Timer]\nOnCalendar=daily\n",
            "lo/a-b-c.service": "[Service]\nExecStart=/bin/false\n",
            "lo/service.d/50-hb.conf": "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun "
                                       "-j %N -c CONF -- /bin/true\n",
            "lo/timer.d/10-all.conf": "[Timer]\nOnCalendar=weekly\nAccuracySec=9s\n",
            "hi/a-.timer.d/20-pre.conf": "[Timer]\nOnCalendar=*-*-* 12:00\n",
            "lo/a-b-.timer.d/20-pre.conf": "[Timer]\nOnCalendar=minutely\n",
            "lo/a-b-c.timer.d/30-own.conf": "[Timer]\nAccuracySec=5s\n",
            "hi/timer.d/30-own.conf": "[Timer]\nAccuracySec=7s\n",
            "lo/a-b-c.timer.d/40-gone.conf": "[Timer]\nOnCalendar=hourly\n",
            "hi/a-b-c.timer.d/40-gone.conf": "->/dev/null",
            "hi/a-b-c.timer.d/.50-hidden.conf": "[Timer]\nOnCalendar=minutely\n",
            "lo/a-b@.timer": "[Timer]\nOnCalendar=daily\n",
            "lo/a-b@.service": "[Service]\nExecStart=/bin/false\n",
            "lo/a-@x.timer.d/r.conf": "[Timer]\nOnCalendar=\nOnCalendar=*:15\n",
            "lo/a-@.timer.d/s.conf": "[Timer]\nOnCalendar=*:45\nRandomizedDelaySec=2min\n",
            "hi/t.wants/a-b@x.timer": "->../../lo/a-b@.timer",
        }
        for rel, text in files.items():
            path = self.sb.path(rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if text.startswith("->"):
                os.symlink(text[2:], path)
            else:
                self.sb.write_file(rel, text.replace("CONF", self.conf), 0o644)
        res = self.sync("--units", hi, "--units", lo)
        self.assertEqual(res.returncode, CHANGES, res)
        # a-b-c: daily, weekly, 12:00 (hi's a-.timer.d hides lo's minutely;
        # hourly masked); lo's own 30-own.conf before hi's timer.d/.
        # a-b@x (its template's prefix a-.timer.d/ too, as systemd reads an
        # instance): *:15 after the reset in a-@x.timer.d/, *:45 of
        # a-@.timer.d/, hi's timer.d/30-own.conf; its ExecStart= service.d's.
        self.assertEqual(res.stdout.splitlines(), [
            "create a-b-c every 43200 grace 305 (%s/a-b-c.timer:2), token to %s [a-b-c]"
            % (lo, self.conf),
            "create a-b@x every 1800 grace 427 (%s/a-@x.timer.d/r.conf:3), token to %s [a-b@x]"
            % (lo, self.conf),
        ])
        self.assertListOnly()

    def test_an_empty_trigger_empties_them_all_an_empty_span_is_ignored(self):
        # systemd.timer(5): OnCalendar= empty resets the monotonic timers
        # too; an empty RandomizedDelaySec= is ignored (the 10min stands).
        units = self.sb.path("units")
        os.makedirs(os.path.join(units, "r.timer.d"))
        self.sb.write_file("units/r.timer", "[Timer]\nOnUnitActiveSec=1h\nOnCalendar=weekly\n"
                           "RandomizedDelaySec=10min\nAccuracySec=1s\n", 0o644)
        self.sb.write_file("units/r.service", "[Service]\nExecStart=/usr/bin/hbrun -j r -c %s"
                           " -- /bin/true\n" % self.conf, 0o644)
        self.sb.write_file("units/r.timer.d/x.conf", "[Timer]\nOnCalendar=\n"
                           "OnCalendar=daily\nRandomizedDelaySec=\n", 0o644)
        res = self.sync("--units", units)
        self.assertEqual(res.returncode, CHANGES, res)
        self.assertEqual(res.stdout, "create r every 86400 grace 901 (%s/r.timer.d/x.conf:3), "
                         "token to %s [r]\n" % (units, self.conf))

    def test_a_dropin_that_cannot_be_read_plans_nothing_on_the_timer(self):
        # Larger than sync reads (systemd would read it): the schedule may
        # be another, so the job is skip, with a warning naming the file.
        units = self.sb.path("units")
        os.makedirs(os.path.join(units, "z.service.d"))
        self.sb.write_file("units/z.timer", "[Timer]\nOnCalendar=daily\n", 0o644)
        self.sb.write_file("units/z.service", "[Service]\nExecStart=/usr/bin/hbrun -j z -c %s"
                           " -- /bin/true\n" % self.conf, 0o644)
        big = self.sb.write_file("units/z.service.d/big.conf", "#\n" * (600 * 1024), 0o644)
        res = self.sync("--units", units)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "skip z: %s/z.timer:2: a file or drop-in folder of the "
                         "timer or its service cannot be read\n" % units)
        self.assertEqual(res.stderr, "hbctl: sync: %s is larger than sync reads (1 MiB)\n"
                         % big)
        self.assertListOnly()

    def test_nothing_to_change_is_exit_0(self):
        tab = self.crontab("@hourly hbrun -j h -c %s -- x\n" % self.conf)
        self.store.add(name="h", interval_secs=3600, grace_secs=300)
        res = self.sync("--crontab-user", "--crontab", tab)
        self.assertEqual((res.returncode, res.stdout), (0, "ok h\n"), res)

    def test_no_api_key_sends_nothing(self):
        tab = self.crontab("@hourly hbrun -j h -- x\n")
        res = self.sync("--crontab-user", "--crontab", tab,
                        env=self.sb.env(TICKSTEM_API_KEY=None))
        self.assertEqual(res.returncode, 2, res)
        self.assertEqual(self.srv.requests, [])


class TestApply(SyncCase):
    def test_apply_makes_the_plan_then_nothing(self):
        tab = self.crontab(
            "@daily hbrun -j a -c %s -- x\n"
            "@hourly hbrun -j b -c %s --timeout 100 --ping-deadline 20 -- x\n"
            "@daily hbrun -j c -c %s -- x\n" % ((self.conf,) * 3))
        self.store.add(name="b", interval_secs=86400, grace_secs=120)
        self.store.add(name="c", interval_secs=86400, grace_secs=300)
        plan = self.sync("--crontab-user", "--crontab", tab)
        self.assertEqual(plan.returncode, CHANGES, plan)
        self.assertIn("update b interval 86400 -> 3600 grace 120 -> 120\n"
                      .replace(" grace 120 -> 120", ""), plan.stdout)
        self.srv.requests.clear() if hasattr(self.srv.requests, "clear") else None
        before = len(self.srv.requests)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertEqual(res.returncode, 0, res)
        sent = self.requests()[before:]
        self.assertEqual(sent[0], ("GET", "/v1/heartbeats"))
        self.assertEqual(sorted(sent[1:]), sorted([
            ("POST", "/v1/heartbeats"),
            ("PATCH", "/v1/heartbeats/%s" % self.by_name()["b"]["id"])]))
        hbs = self.by_name()
        self.assertEqual((hbs["a"]["interval_secs"], hbs["a"]["grace_secs"]), (86400, 300))
        self.assertEqual((hbs["b"]["interval_secs"], hbs["b"]["grace_secs"]), (3600, 120))
        with open(self.conf) as f:
            self.assertEqual(f.read(), "[a]\ntoken = %s\n" % hbs["a"]["token"])
        self.assertEqual(stat.S_IMODE(os.stat(self.conf).st_mode), 0o600)
        self.assertTrue(res.stdout.startswith("created a every 86400 grace 300"), res)
        n = len(self.srv.requests)
        again = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertEqual((again.returncode, again.stdout), (0, "ok a\nok b\nok c\n"), again)
        self.assertEqual(self.requests()[n:], [("GET", "/v1/heartbeats")])

    def test_one_name_in_several_places_is_one_heartbeat_on_the_union(self):
        tab = self.crontab("@daily hbrun -j u -c %s -- x\n" % self.conf)
        tab2 = self.crontab("0 * * * * hbrun -j u -c %s -- y\n" % self.conf, "tab2")
        units = self.sb.path("units")
        os.mkdir(units)
        self.sb.write_file("units/u.timer", "[Timer]\nOnCalendar=weekly\n", 0o644)
        self.sb.write_file("units/u.service", "[Service]\nExecStart=/usr/bin/hbrun "
                           "-j u -c %s -- /bin/z\n" % self.conf, 0o644)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab, "--crontab", tab2,
                        "--units", units)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertEqual((hb["name"], hb["interval_secs"]), ("u", 3600))
        self.assertEqual(hb["grace_secs"], 360)   # the timer's default accuracy
        self.assertEqual(res.stdout, "created u every 3600 grace 360 (%s:1, %s:1, %s:2): "
                         "token in %s\n" % (tab, tab2, units + "/u.timer", self.conf))
        with open(self.conf) as f:
            self.assertEqual(f.read().count("token = "), 1)

    def test_hand_edited_config_keeps_every_byte(self):
        text = ("# hbrun jobs, by hand\n; keep me\napi_url = %s\n\n"
                "[backup]   ; nightly\n  timeout = 3600 ; a comment, for inih too\n"
                "\n[other]\nlock = /run/x.lock\n" % self.srv.url)
        self.sb.write_file(self.conf, text, 0o640)
        tab = self.crontab("@daily hbrun -j backup -c %s -- x\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertEqual(hb["grace_secs"], 3660)   # timeout + ping_deadline
        with open(self.conf) as f:
            after = f.read()
        added = "token = %s\n" % hb["token"]
        at = text.index("[other]") - len("  timeout = 3600 ; a comment, for inih too\n\n")
        self.assertEqual(after, text[:at] + added + text[at:])
        self.assertEqual(stat.S_IMODE(os.stat(self.conf).st_mode), 0o640)

    def test_a_linked_config_stays_a_link(self):
        target = self.sb.write_file("real.conf", "# kept\n", 0o600)
        os.symlink(target, self.conf)
        tab = self.crontab("@daily hbrun -j l -c %s -- y\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertTrue(os.path.islink(self.conf))
        with open(target) as f:
            self.assertEqual(f.read(), "# kept\n\n[l]\ntoken = %s\n" % hb["token"])

    def test_token_file_and_credential(self):
        units = self.sb.path("units")
        os.mkdir(units)
        token = self.sb.path("backup.token")
        self.sb.write_file("units/b.timer", "[Timer]\nOnCalendar=daily\nAccuracySec=1s\n"
                           "RandomizedDelaySec=15min\n", 0o644)
        self.sb.write_file("units/b.service", "[Service]\nLoadCredential=hb:%s\n"
                           "ExecStart=/usr/bin/hbrun -j b --token-file %%d/hb -- /bin/b\n"
                           % token, 0o644)
        res = self.sync("--apply", "--units", units)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertEqual(hb["grace_secs"], 300 + 900 + 1)
        with open(token) as f:
            self.assertEqual(f.read(), hb["token"] + "\n")
        self.assertEqual(stat.S_IMODE(os.stat(token).st_mode), 0o600)

    def test_a_crontabs_variables_name_the_config(self):
        other = self.sb.path("other.conf")
        tab = self.crontab("HBRUN_CONFIG=%s\n@daily hbrun -j v -- x\n"
                           "HBRUN_TOKEN=abc\n@daily hbrun -j w -- x\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual([h["name"] for h in self.store.heartbeats], ["v"])
        self.assertIn("skip w: %s:4: its token is set where it runs (-t or HBRUN_TOKEN)" % tab, res.stdout)
        with open(self.conf) as f:
            self.assertEqual(f.read(), "[v]\ntoken = %s\n" % self.store.heartbeats[0]["token"])
        self.assertFalse(os.path.exists(other))

    def test_a_services_environment_names_its_config(self):
        units = self.sb.path("units")
        os.mkdir(units)
        self.sb.write_file("units/e.timer", "[Timer]\nOnCalendar=hourly\nAccuracySec=0\n", 0o644)
        self.sb.write_file("units/e.service", "[Service]\nEnvironment=\"HBRUN_CONFIG=%s\" A=1\n"
                           "ExecStart=/usr/bin/hbrun -j e -- /bin/e\n" % self.conf, 0o644)
        res = self.sync("--apply", "--units", units)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertEqual((hb["interval_secs"], hb["grace_secs"]), (3600, 300))
        with open(self.conf) as f:
            self.assertEqual(f.read(), "[e]\ntoken = %s\n" % hb["token"])

    def test_refused_config_sends_no_create(self):
        self.sb.write_file(self.conf, "[x]\n", 0o666)
        tab = self.crontab("@daily hbrun -j x -c %s -- y\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertIn("skip x: %s:1: " % tab, res.stdout)
        self.assertListOnly()
        with open(self.conf) as f:
            self.assertEqual(f.read(), "[x]\n")

    @unittest.skipUnless(os.geteuid() == 0, "chown to another user needs root")
    def test_foreign_config_sends_no_create(self):
        self.sb.write_file(self.conf, "[x]\n", 0o600)
        os.chown(self.conf, 65534, 65534)
        tab = self.crontab("@daily hbrun -j x -c %s -- y\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertIn("skip x: %s:1: " % tab, res.stdout)
        self.assertListOnly()

    def test_refused_own_config_sends_nothing(self):
        conf = self.sb.write_file("own.conf", "api_key = %s\n" % KEY, 0o666)
        tab = self.crontab("@daily hbrun -j x -- y\n")
        res = hbctl(["--api-url", self.srv.url, "-c", conf, "sync", "--apply",
                     "--crontab-user", "--crontab", tab], self.sb.env())
        self.assertEqual(res.returncode, 2, res)
        self.assertEqual(self.srv.requests, [])

    def test_existing_token_is_never_overwritten(self):
        self.sb.write_file(self.conf, "[x]\ntoken = 0ld7oken\n", 0o600)
        tab = self.crontab("@daily hbrun -j x -c %s -- y\n" % self.conf)
        res = self.sync("--apply", "--crontab-user", "--crontab", tab)
        self.assertIn("holds a token already", res.stdout)
        self.assertListOnly()

    def test_json_plan_and_apply(self):
        tab = self.crontab("@daily hbrun -j j -c %s -- y\n@daily /bin/plain\n" % self.conf)
        res = self.sync("--crontab-user", "--crontab", tab, api=True)
        plan = hbctl(["--api-url", self.srv.url, "--json", "sync", "--crontab-user",
                      "--crontab", tab], self.sb.env(TICKSTEM_API_KEY=KEY))
        self.assertEqual(plan.returncode, CHANGES, plan)
        doc = json.loads(plan.stdout)
        self.assertEqual(doc["changes"], True)
        self.assertEqual([a["action"] for a in doc["actions"]], ["create", "unmonitored"])
        self.assertEqual(doc["actions"][0]["token"], [{"to": "config", "where": self.conf}])
        done = hbctl(["--api-url", self.srv.url, "--json", "sync", "--apply", "--crontab-user",
                      "--crontab", tab], self.sb.env(TICKSTEM_API_KEY=KEY))
        self.assertEqual(done.returncode, 0, done)
        doc = json.loads(done.stdout)
        (hb,) = self.store.heartbeats
        self.assertEqual((doc["applied"], doc["actions"][0]["done"], doc["actions"][0]["id"]),
                         (True, True, hb["id"]))
        self.assertEqual(leaks(done.stdout + res.stdout, hb["token"]), [])


class TestRealFormats(SyncCase):
    def test_debians_own_crontab(self):
        res = self.sync("--crontab", "/etc/crontab")
        self.assertEqual(res.returncode, 0, res)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 4, res)
        self.assertEqual(lines[0], "unmonitored /etc/crontab:18 "
                         "cd / && run-parts --report /etc/cron.hourly")
        for line in lines:
            self.assertTrue(line.startswith("unmonitored /etc/crontab:"), line)

    def test_the_default_sources_of_this_machine(self):
        res = self.sync()
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("unmonitored /etc/crontab:18 ", res.stdout)
        if UNITS:
            self.assertRegex(res.stdout, r"unmonitored /\S+/apt-daily\.timer:\d+ "
                             r"/usr/lib/apt/apt\.systemd\.daily update\n")
        self.assertListOnly()

    @unittest.skipUnless(UNITS, "no apt-daily.timer on this machine")
    def test_debian_timers_with_a_dropin_of_ours(self):
        units = self.sb.path("units")
        os.makedirs(os.path.join(units, "apt-daily.service.d"))
        os.makedirs(os.path.join(units, "fstrim.service.d"))
        for name in ("apt-daily.timer", "apt-daily.service", "fstrim.timer",
                     "fstrim.service"):
            shutil.copy(os.path.join(UNITS, name), units)
        self.sb.write_file("units/apt-daily.service.d/hbrun.conf",
                           "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j apt-daily -c %s"
                           " -- /usr/lib/apt/apt.systemd.daily update\n" % self.conf, 0o644)
        self.sb.write_file("units/fstrim.service.d/hbrun.conf",
                           "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j fstrim -c %s"
                           " -- /sbin/fstrim -av\n" % self.conf, 0o644)
        res = self.sync("--apply", "--units", units)
        self.assertEqual(res.returncode, 0, res)
        hbs = self.by_name()
        # OnCalendar=*-*-* 6,18:00, RandomizedDelaySec=12h, accuracy 1 min
        self.assertEqual((hbs["apt-daily"]["interval_secs"], hbs["apt-daily"]["grace_secs"]),
                         (43200, 300 + 43200 + 60))
        # OnCalendar=weekly, AccuracySec=1h, RandomizedDelaySec=6000
        self.assertEqual((hbs["fstrim"]["interval_secs"], hbs["fstrim"]["grace_secs"]),
                         (604800, 300 + 3600 + 6000))

    def test_this_projects_packaging_examples(self):
        me = pwd.getpwuid(os.geteuid()).pw_name
        with open(os.path.join(ROOT, "packaging", "cron", "hbrun-jobs")) as f:
            tab = self.crontab(f.read().replace(" root ", " %s " % me))
        res = self.sync("--crontab", tab, "--units", os.path.join(ROOT, "packaging", "systemd"),
                        "--manifest", os.path.join(ROOT, "packaging", "kubernetes",
                                                   "cronjob.yaml"))
        self.assertEqual(res.returncode, CHANGES, res)
        lines = res.stdout.splitlines()
        conf = self.sb.config
        self.assertEqual(lines[:4], [
            "create backup every 86400 grace 300 (%s:22), token to %s [backup]" % (tab, conf),
            "create db-dump every 604800 grace 10860 (%s:26), token to %s [db-dump]"
            % (tab, conf),
            "create mirror every 600 grace 300 (%s:29), token to %s [mirror]" % (tab, conf),
            "create report every 86400 grace 300 (%s:33), token to %s [report]" % (tab, conf),
        ])
        self.assertRegex(lines[4], r"^no job name \S+/packaging/systemd/hbrun-backup\.timer:\d+$")
        self.assertRegex(lines[5], r"^no job name \S+/packaging/kubernetes/cronjob\.yaml:\d+$")
        self.assertEqual(len(lines), 6)

    def test_kubernetes_docs_examples_and_a_list_on_stdin(self):
        res = self.sync("--manifest", os.path.join(DATA, "k8s-docs-cronjob.yaml"))
        self.assertEqual(res.stdout, "unmonitored %s:14 /bin/sh -c date; echo Hello from the "
                         "Kubernetes cluster\n" % os.path.join(DATA, "k8s-docs-cronjob.yaml"))
        with open(os.path.join(DATA, "k8s-docs-list.yaml")) as f:
            listed = f.read()
        res = self.sync("--manifest", "-", input=listed)
        self.assertEqual(res.returncode, CHANGES, res)
        self.assertEqual(res.stdout.splitlines(), [
            "create k8s-hello every 3600 grace 300 (stdin:24), token from Secret "
            "hello-heartbeat key token",
            "suspended k8s-paused (stdin:55)",
        ])
        res = self.sync("--apply", "--manifest", "-", input=listed)
        self.assertEqual(res.returncode, 0, res)
        (hb,) = self.store.heartbeats
        self.assertEqual(res.stdout.splitlines()[0],
                         "created k8s-hello every 3600 grace 300 (stdin:24): put its token in "
                         "Secret hello-heartbeat key token")
        self.assertEqual(os.listdir(self.sb.dir), ["xdg"])   # written nowhere


# The plan's lines (hbctl(1), SYNC); PLACE is FILE:LINE.
PLAN_LINE = re.compile(
    r"^(create \S+ every \d+ grace \d+ \(.+\)(, token (to|from) .+)?"
    r"|update \S+( interval \d+ -> \d+)?( grace \d+ -> \d+)?"
    r"|ok \S+|unmonitored \S+:\d+ .*|no job name \S+:\d+"
    r"|suspended \S+ \(\S+:\d+\)|skip \S+: .+)$")


class SyncGen:
    """Crontabs of generated lines: every form a crontab line takes, good
    and broken, hbrun anywhere in its command or not, names shared between
    lines, config files good, refused (0666) and holding a token already."""

    NAMES = ["a", "b", "c", "db-dump"]
    WHEN = ["@daily", "@hourly", "0 * * * *", "@weekly", "15 3 * * *", "@reboot",
            "5 4 * *", "61 * * * *", "*/30 * * * *"]
    VARS = ["CRON_TZ=Etc/UTC", "CRON_TZ=", "MAILTO=root", "# 0 * * * * hbrun -j x",
            "", "   ", "CRON_TZ=Nowhere/Zone"]

    def __init__(self, rng, confs):
        self.rng = rng
        self.confs = confs

    def command(self):
        r = self.rng
        name = r.choice(self.NAMES)
        conf = self.confs[0] if r.random() < 0.7 else r.choice(self.confs)
        return r.choice([
            "hbrun -j %s -c %s -- /bin/job" % (name, conf),
            "cd / && /usr/bin/hbrun --job=%s -c %s -- y %%stdin%%" % (name, conf),
            "env A=1 nice -n 5 hbrun -j%s --config=%s -- z" % (name, conf),
            "sh -c 'exec hbrun -j %s -c %s -- w'" % (name, conf),
            "hbrun -- nameless", "/bin/plain --flag", "echo 100\\% done",
            "hbrun -j %s -c %s -- 'open" % (name, conf),
            "hbrun -j %s -c %s -t TOKEN123 -- x" % (name, conf),
            "hbrun -j %s -c %s -- \x01odd \xe9t\xe9" % (name, conf),
        ])

    def crontab(self, n):
        lines = []
        for _ in range(n):
            if self.rng.random() < 0.25:
                lines.append(self.rng.choice(self.VARS))
            else:
                lines.append("%s %s" % (self.rng.choice(self.WHEN), self.command()))
        return "\n".join(lines) + "\n"


def cases():
    """Fewer where every hbctl runs under valgrind or the sanitizers."""
    n = int(os.environ.get("HBRUN_SYNC_CASES", "0")) or (
        4 if harness.UNDER_VALGRIND else 12)
    return n


class TestGenerated(ServerCase):
    """Over generated crontabs: a plan sends the list alone and changes no
    file; its exit says whether it would change anything; --apply makes
    exactly its creates and PATCHes, the tokens only where its lines said;
    a second --apply changes nothing; no token is ever shown."""

    def one(self, seed):
        rng = random.Random(seed)
        store = HeartbeatStore(api_key=KEY, plan="business", max_secs=10 ** 8)
        srv = self.server(store=store)
        for name in rng.sample(SyncGen.NAMES, rng.randrange(3)):
            store.add(name=name, interval_secs=rng.choice([3600, 86400]),
                      grace_secs=rng.choice([300, 60]))
        confs = {self.sb.path("good.conf"): ("# by hand\n\n[zz]\nlock = /x\n", 0o600),
                 self.sb.path("open.conf"): ("[a]\n", 0o666),
                 self.sb.path("held.conf"): ("[a]\ntoken = 0ld70ken\n[b]\ntoken = 0ld70ken\n"
                                             "[c]\ntoken = 0ld70ken\n[db-dump]\ntoken = x\n",
                                             0o600)}
        for path, (text, mode) in confs.items():
            self.sb.write_file(path, text, mode)
        tab = self.sb.write_file("tab%d" % seed,
                                 SyncGen(rng, list(confs)).crontab(rng.randrange(1, 12)),
                                 0o644)
        env = self.sb.env(TICKSTEM_API_KEY=KEY)
        args = ["--api-url", srv.url, "sync", "--crontab-user", "--crontab", tab]

        def files():
            out = {}
            for path in confs:
                with open(path, "rb") as f:
                    out[path] = f.read()
            return out

        def shown(res):
            for hb in store.heartbeats:
                self.assertEqual(leaks(res.stdout + res.stderr, hb["token"]), [], res)
            for line in res.stderr.splitlines():
                self.assertTrue(line.startswith("hbctl: "), res)

        before = files()
        plan = hbctl(args, env)
        if os.environ.get("HBRUN_SYNC_SHOW"):
            print(plan.stdout, plan.stderr)
        shown(plan)
        lines = plan.stdout.splitlines()
        for line in lines:
            self.assertRegex(line, PLAN_LINE)
        creates = [ln.split()[1] for ln in lines if ln.startswith("create ")]
        updates = [ln.split()[1] for ln in lines if ln.startswith("update ")]
        self.assertEqual(plan.returncode, CHANGES if creates or updates else 0, plan)
        self.assertEqual([(r.method, r.path) for r in srv.requests],
                         [("GET", "/v1/heartbeats")])
        self.assertEqual(files(), before)
        self.assertEqual(len(set(creates + updates)), len(creates + updates), plan)

        n = len(srv.requests)
        done = hbctl(args[:2] + ["sync", "--apply"] + args[3:], env)
        shown(done)
        self.assertEqual(done.returncode, 0, done)
        sent = [(r.method, r.path.rsplit("/", 1)[0] if r.method == "PATCH" else r.path)
                for r in srv.requests[n:]]
        self.assertEqual(sorted(sent), sorted([("GET", "/v1/heartbeats")]
                                              + [("POST", "/v1/heartbeats")] * len(creates)
                                              + [("PATCH", "/v1/heartbeats")] * len(updates)))
        by_name = {hb["name"]: hb for hb in store.heartbeats}
        after = files()
        for line in lines:
            if line.startswith("create "):
                token = by_name[line.split()[1]]["token"].encode()
                dests = set(re.findall(r"token to (\S+) \[", line))
                for path in confs:
                    self.assertEqual(token in after[path], path in dests, (line, path))
        for path in (self.sb.path("open.conf"), self.sb.path("held.conf")):
            self.assertEqual(after[path], before[path])

        n = len(srv.requests)
        again = hbctl(args[:2] + ["sync", "--apply"] + args[3:], env)
        shown(again)
        self.assertEqual(again.returncode, 0, again)
        self.assertEqual([(r.method, r.path) for r in srv.requests[n:]],
                         [("GET", "/v1/heartbeats")])
        self.assertNotRegex(again.stdout, r"(?m)^(create|update)")

    def test_generated_crontabs(self):
        seed = int(os.environ.get("HBRUN_SYNC_SEED", random.randrange(1 << 30)))
        for i in range(cases()):
            with self.subTest(seed=seed + i):
                self.sb = harness.Sandbox()
                self.addCleanup(self.sb.close)
                self.one(seed + i)


if __name__ == "__main__":
    unittest.main(verbosity=2)
