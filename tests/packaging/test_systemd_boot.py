"""packaging/systemd, under a real systemd: Debian 12's systemd booted in a
container (systemd-nspawn -b, on a root file system made by mmdebstrap, see
runtimes.py), the units installed by the commands of the service's
"Install:" comment, run as written (the token, THE-TOKEN there, is the
test's), and the built hbrun as /usr/bin/hbrun.  The container shares the
host's network, so the fake API on 127.0.0.1 is reachable.

What the test adds to the units, as drop-ins: HBRUN_API_URL (the fake API),
and for the last test a short TimeoutStopSec.  /usr/local/bin/backup is a
script whose behaviour a file chooses.

- the timer is enabled and active;
- `systemctl start` runs the job, which pings with the credential's token;
  the job's environment has no HBRUN_TOKEN;
- a failing job leaves Result=exit-code and sends nothing;
- `systemctl stop` under the shipped KillMode=mixed gives the job exactly
  one TERM, sent by hbrun, and no ping: Result=success when the job handles
  it and exits 0, Result=signal when it dies of it (systemd counts SIGTERM
  as a failure for Type=oneshot; see hbrun(1), "Under systemd");
- TimeoutStopSec running out kills the job's children too;
- hbctl sync over the container's own unit folders (Debian's timers, and
  timers of the test's with drop-ins in every kind of folder systemd reads:
  the unit's, its template's, its dashed prefixes', timer.d/, in /etc,
  /run and /usr/lib, one masked by a link to /dev/null) reads what systemd
  does: each timer's place is a file systemctl cat shows for it, its
  interval the longest gap of the OnCalendar= union
  systemd shows (TimersCalendar, its times from systemd-analyze calendar,
  which list-timers' NEXT agrees with), its grace 300 s plus systemd's
  RandomizedDelayUSec and AccuracyUSec; Debian's own timers run no hbrun
  and are listed as unmonitored.
"""

import calendar
import json
import math
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest

import runtimes
import daemons  # tests/support, on the path through pkgtest
from fakeapi import HeartbeatStore
from pkgtest import HBCTL, HBRUN, ServerCase, packaging_file, read

TOKEN = "tok-systemd-0123"
SERVICE = "hbrun-backup.service"
STATE = "/var/lib/hbrun-test"
# A number no other process on the machine has on its command line.
MARK = "7%06d" % (os.getpid() % 1000000)

BACKUP = """#!/bin/sh
# The test's backup: what it does is in %(state)s/mode.
env >%(state)s/env
case $(cat %(state)s/mode) in
ok) exit 0 ;;
fail) exit 3 ;;
children)
	sleep %(mark)s &
	sleep %(mark)s &
	exec /usr/local/bin/sigjob ignore >>%(state)s/log 2>&1 ;;
*) exec /usr/local/bin/sigjob "$(cat %(state)s/mode)" >>%(state)s/log 2>&1 ;;
esac
"""


def install_commands():
    """The shell commands of the service's "Install:" comment."""
    lines, inside = [], False
    for line in read(packaging_file("systemd", SERVICE)).splitlines():
        if line.strip() == "# Install:":
            inside = True
        elif inside and line.startswith("#   "):
            lines.append(line[4:].strip())
        elif inside:
            break
    return lines


def sanitizer_build(path):
    p = runtimes.sh(["readelf", "-d", path]) if shutil.which("readelf") else None
    return bool(p and re.search(r"lib(asan|ubsan)", p.stdout))


class Booted(ServerCase):
    @classmethod
    def setUpClass(cls):
        why = runtimes.missing_tools("systemd-nspawn", "nsenter")
        if why:
            raise unittest.SkipTest(why)
        if sanitizer_build(HBRUN):
            raise unittest.SkipTest("hbrun is a sanitizer build; the container has no "
                                    "libasan (this suite runs with the plain build)")
        # hbctl's libraries, and logrotate for a timer Debian ships.
        tar, why = runtimes.rootfs("systemd", ["systemd-sysv", "libcurl4",
                                               "ca-certificates", "libjansson4",
                                               "libyaml-0-2", "logrotate"])
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="hbrun-nspawn-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.sigjob = runtimes.build_sigjob(cls.tmp)
        if not cls.sigjob:
            raise unittest.SkipTest("no C compiler to build sigjob statically "
                                    "(build-essential)")
        cls.root = os.path.join(cls.tmp, "root")
        os.mkdir(cls.root)
        with tarfile.open(tar) as t:
            t.extractall(cls.root, numeric_owner=True)
        cls.prepare_root()
        cls.boot()

    @classmethod
    def prepare_root(cls):
        r = cls.root
        shutil.copy(HBRUN, r + "/usr/bin/hbrun")
        if HBCTL:
            shutil.copy(HBCTL, r + "/usr/bin/hbctl")
        shutil.copy(cls.sigjob, r + "/usr/local/bin/sigjob")
        with open(r + "/usr/local/bin/backup", "w") as f:
            f.write(BACKUP % {"state": STATE, "mark": MARK})
        os.chmod(r + "/usr/local/bin/backup", 0o755)
        os.makedirs(r + STATE)
        # The unit files where the Install comment's commands find them.
        os.makedirs(r + "/root/units")
        for name in (SERVICE, "hbrun-backup.timer"):
            shutil.copy(packaging_file("systemd", name), r + "/root/units/")

    @classmethod
    def boot(cls):
        cls.log = open(os.path.join(cls.tmp, "nspawn.log"), "w+")
        cls.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-D", cls.root, "-b", "--register=no", "--keep-unit",
             "--console=passive"], stdin=subprocess.DEVNULL, stdout=cls.log,
            stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.shut_down)
        cls.pid = runtimes.wait_for(cls.container_init, 60)
        if not cls.pid:
            raise AssertionError("systemd did not start:\n" + cls.console())
        ok = runtimes.wait_for(lambda: cls.inside("test", "-S", "/run/systemd/private")
                               .returncode == 0, 120)
        if not ok:
            raise AssertionError("systemd's private socket never came:\n" + cls.console())
        state = cls.inside("systemctl", "is-system-running", "--wait", timeout=180)
        if state.stdout.strip() not in ("running", "degraded"):
            raise AssertionError("booted into %r:\n%s" % (state.stdout, cls.console()))

    @classmethod
    def console(cls):
        cls.log.seek(0)
        return runtimes.tail(cls.log.read(), 40)

    @classmethod
    def container_init(cls):
        """The PID (on the host) of the container's systemd, or None."""
        if cls.nspawn.poll() is not None:
            raise unittest.SkipTest("systemd-nspawn cannot run a container here:\n"
                                    + cls.console())
        try:
            with open("/proc/%d/task/%d/children" % (cls.nspawn.pid, cls.nspawn.pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        for kid in kids:
            with open("/proc/%s/comm" % kid) as f:
                if f.read().strip() == "systemd":
                    return int(kid)
        return None

    @classmethod
    def inside(cls, *args, timeout=60):
        return runtimes.sh(["nsenter", "-t", str(cls.pid), "-a"] + list(args),
                           timeout=timeout)

    @classmethod
    def shut_down(cls):
        daemons.stop(cls.nspawn, 60)  # TERM: nspawn powers the container off
        cls.log.close()

    # ---- per test ----------------------------------------------------------

    def setUp(self):
        super().setUp()
        self.api = self.server()
        self.dropin("api", "[Service]\nEnvironment=HBRUN_API_URL=%s\n" % self.api.url)
        self.install()
        for name in ("log", "env"):
            path = self.root + STATE + "/" + name
            if os.path.exists(path):
                os.unlink(path)
        self.inside("systemctl", "reset-failed", SERVICE)

    installed = False

    def install(self):
        """The Install comment's commands, once, run in the container."""
        if type(self).installed:
            return
        script = "\n".join(install_commands()).replace("THE-TOKEN", TOKEN)
        self.assertIn("systemctl daemon-reload", script)
        p = self.inside("sh", "-ec", "cd /root/units\n" + script, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        type(self).installed = True

    def dropin(self, name, text):
        d = self.root + "/etc/systemd/system/%s.d" % SERVICE
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".conf"), "w") as f:
            f.write(text)
        self.inside("systemctl", "daemon-reload")

    def mode(self, mode):
        with open(self.root + STATE + "/mode", "w") as f:
            f.write(mode + "\n")

    def show(self, prop):
        return self.inside("systemctl", "show", "-p", prop, "--value", SERVICE).stdout.strip()

    def state_file(self, name):
        try:
            return read(self.root + STATE + "/" + name)
        except OSError:
            return ""

    def start_long(self, mode):
        """Start the service on a job that waits for signals; returns hbrun's
        PID in the container once the job is ready."""
        self.mode(mode)
        p = self.inside("systemctl", "start", "--no-block", SERVICE)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(runtimes.wait_for(lambda: "ready" in self.state_file("log"), 60),
                        "the job never started: " + self.show("Result"))
        return int(self.show("MainPID"))

    # ---- the tests ---------------------------------------------------------

    def test_timer_is_active(self):
        self.assertEqual(self.inside("systemctl", "is-enabled", "hbrun-backup.timer")
                         .stdout.strip(), "enabled")
        self.assertEqual(self.inside("systemctl", "is-active", "hbrun-backup.timer")
                         .stdout.strip(), "active")

    def test_start_pings_with_the_credential(self):
        self.mode("ok")
        p = self.inside("systemctl", "start", SERVICE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.show("Result"), "success")
        self.assertEqual([(r.method, r.path) for r in self.api.requests],
                         [("POST", "/v1/heartbeats/%s/ping" % TOKEN)])
        env = self.state_file("env")
        self.assertIn("CREDENTIALS_DIRECTORY=", env)  # the job ran, under LoadCredential
        self.assertNotIn("HBRUN_TOKEN", env)
        self.assertNotIn(TOKEN, env)

    def test_failing_job(self):
        self.mode("fail")
        p = self.inside("systemctl", "start", SERVICE, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.show("Result"), "exit-code")
        self.assertEqual(self.show("ExecMainStatus"), "3")
        self.assertEqual(self.api.requests, [])

    def stop(self, mode):
        hbrun = self.start_long(mode)
        p = self.inside("systemctl", "stop", SERVICE, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr)
        log = self.state_file("log")
        # One TERM, and its sender is hbrun, the service's main process.
        self.assertEqual(runtimes.terms(log), [hbrun], log)
        self.assertEqual(self.api.requests, [])
        return log

    def test_stop_job_handles_term(self):
        self.assertIn("exiting 0", self.stop("handle"))
        self.assertEqual(self.show("Result"), "success")

    def test_stop_job_dies_of_term(self):
        self.stop("die")
        # hbrun dies of the job's TERM; for Type=oneshot systemd calls that a failure.
        self.assertEqual(self.show("Result"), "signal")
        self.assertEqual(self.show("ExecMainStatus"), str(int(signal.SIGTERM)))

    def test_stop_timeout_kills_children(self):
        self.dropin("zz-stop", "[Service]\nTimeoutStopSec=3\n")
        self.addCleanup(os.unlink, self.root + "/etc/systemd/system/%s.d/zz-stop.conf"
                        % SERVICE)
        self.start_long("children")
        self.assertEqual(len(self.children()), 2, "the job's children are not running")
        p = self.inside("systemctl", "stop", SERVICE, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.show("Result"), "timeout")
        self.assertEqual(self.children(), [])
        self.assertEqual(len(runtimes.terms(self.state_file("log"))), 1)
        self.assertEqual(self.api.requests, [])

    # ---- hbctl sync against systemd's own reading --------------------------

    SYNC_FILES = {
        # name: the heartbeat; its prefixes' drop-ins in /usr/lib, /etc, /run
        "usr/lib/systemd/system/hb-nightly-db.timer":
            "[Timer]\nOnCalendar=*-*-* 02:00\n",
        "usr/lib/systemd/system/hb-nightly-db.service": "[Service]\nExecStart=/bin/false\n",
        "etc/systemd/system/hb-nightly-db.service.d/hbrun.conf":
            "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j nightly-db -c /etc/hb-sync.conf"
            " -- /bin/true\n",
        "usr/lib/systemd/system/hb-nightly-.timer.d/10-more.conf":  # /run's hides it
            "[Timer]\nOnCalendar=*-*-* 14:00\n",
        "etc/systemd/system/hb-.timer.d/20-acc.conf": "[Timer]\nAccuracySec=1s\n",
        "usr/lib/systemd/system/hb-nightly-db.timer.d/30-x.conf":  # masked in /etc
            "[Timer]\nOnCalendar=*-*-* 20:00\n",
        "etc/systemd/system/hb-nightly-db.timer.d/30-x.conf": "->/dev/null",
        # a reset in its own drop-in, its service's ExecStart= in a prefix's
        # (the reset empties OnUnitActiveSec= too; an empty span is ignored)
        "etc/systemd/system/hb-weekly-report.timer":
            "[Timer]\nOnCalendar=Mon 05:00\nOnUnitActiveSec=1h\n",
        "etc/systemd/system/hb-weekly-report.timer.d/override.conf":
            "[Timer]\nOnCalendar=\nOnCalendar=Mon,Thu 05:00\nRandomizedDelaySec=90s\n",
        "etc/systemd/system/hb-weekly-report.timer.d/zz-empty.conf":
            "[Timer]\nRandomizedDelaySec=\n",
        "etc/systemd/system/hb-weekly-report.service": "[Service]\nExecStart=/bin/false\n",
        "usr/lib/systemd/system/hb-weekly-.service.d/hbrun.conf":
            "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j weekly-report"
            " -c /etc/hb-sync.conf -- /bin/true\n",
        # an enabled instance of a dashed template: hb-@.timer.d/ and hb-.timer.d/
        "usr/lib/systemd/system/hb-tpl@.timer": "[Timer]\nOnCalendar=hourly\n",
        "usr/lib/systemd/system/hb-tpl@.service":
            "[Service]\nExecStart=/usr/bin/hbrun -j tpl-%i -c /etc/hb-sync.conf -- /bin/true\n",
        "usr/lib/systemd/system/hb-@.timer.d/50-tpl.conf": "[Timer]\nOnCalendar=*:30\n",
        "etc/systemd/system/timers.target.wants/hb-tpl@one.timer":
            "->/usr/lib/systemd/system/hb-tpl@.timer",
        # every timer's, sorted before the others: Debian's timers get it
        "etc/systemd/system/timer.d/05-all.conf": "[Timer]\nAccuracySec=2min\n",
        # two of Debian's services run under hbrun; the rest do not
        "etc/systemd/system/logrotate.service.d/hbrun.conf":
            "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j logrotate -c /etc/hb-sync.conf"
            " -- /usr/sbin/logrotate /etc/logrotate.conf\n",
        "etc/systemd/system/fstrim.service.d/hbrun.conf":
            "[Service]\nExecStart=\nExecStart=/usr/bin/hbrun -j fstrim -c /etc/hb-sync.conf"
            " -- /sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose\n",
    }
    RUN_DROPIN = ("/run/systemd/system/hb-nightly-.timer.d/10-more.conf",
                  "[Timer]\nOnCalendar=*-*-* 08:00\n")
    OURS = ["hb-nightly-db.timer", "hb-weekly-report.timer", "hb-tpl@one.timer"]

    def sync_units(self):
        """SYNC_FILES in the container, /run's drop-in written inside it;
        removed again (and systemd reloaded) at the end of the test."""
        self.addCleanup(self.inside, "systemctl", "daemon-reload")
        for rel, text in self.SYNC_FILES.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if text.startswith("->"):
                os.symlink(text[2:], path)
            else:
                with open(path, "w") as f:
                    f.write(text)
            self.addCleanup(os.unlink, path)
        path, text = self.RUN_DROPIN
        p = self.inside("sh", "-ec", 'mkdir -p "${1%/*}" && printf "$2" >"$1"', "sh",
                        path, text.replace("\n", "\\n"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.addCleanup(self.inside, "rm", "-f", path)
        self.addCleanup(self.inside, "systemctl", "stop", *self.OURS)
        self.inside("systemctl", "daemon-reload")
        p = self.inside("systemctl", "start", *self.OURS)
        self.assertEqual(p.returncode, 0, p.stderr)

    def systemd_timer(self, timer):
        """What systemd says of TIMER: its OnCalendar= expressions (after
        the drop-ins), OnUnitActiveSec=, delays in seconds, the service."""
        props = {}
        out = self.inside("systemctl", "show", "-p", "TimersCalendar,TimersMonotonic,"
                          "RandomizedDelayUSec,AccuracyUSec,Unit,DropInPaths", timer).stdout
        for line in out.splitlines():
            key, _, value = line.partition("=")
            props.setdefault(key, []).append(value)
        cal = " ".join(props.get("TimersCalendar", []))
        mono = " ".join(props.get("TimersMonotonic", []))
        active = re.findall(r"OnUnitActiveUSec=(.*?) ; ", mono)
        return {"calendar": re.findall(r"OnCalendar=(.*?) ; next_elapse=", cal),
                "every": min(map(span, active)) if active else None,
                "delay": span(props["RandomizedDelayUSec"][0]),
                "accuracy": span(props["AccuracyUSec"][0]),
                "service": props["Unit"][0], "dropins": props.get("DropInPaths")}

    def calendar_times(self, exprs, n=40):
        """The union of EXPRS' next N due times, as systemd-analyze says,
        up to the last time every one of them covers."""
        out = self.inside("systemd-analyze", "calendar", "--iterations=%d" % n, *exprs).stdout
        per, times = [], []
        for block in out.split("Normalized form:")[1:]:
            ts = [calendar.timegm(time.strptime(t, "%Y-%m-%d %H:%M:%S")) for t in re.findall(
                r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", block)]
            per.append(max(ts))
            times += ts
        self.assertEqual(len(per), len(exprs), out)
        return sorted(set(t for t in times if t <= min(per)))

    def list_timers_next(self):
        """list-timers --all: each timer's NEXT as a time, None for n/a."""
        out = self.inside("systemctl", "list-timers", "--all", "--no-legend",
                          "--no-pager").stdout
        nexts = {}
        for line in out.splitlines():
            m = re.match(r"(?:\w+ (\S+ \S+) UTC|-|n/a)\s.*?(\S+\.timer)\s+\S+\s*$", line)
            if m:
                nexts[m.group(2)] = None if not m.group(1) else calendar.timegm(
                    time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
        return nexts

    def test_sync_reads_the_timers_as_systemd_does(self):
        if not HBCTL or sanitizer_build(HBCTL):
            self.skipTest("no plain hbctl built")
        self.sync_units()
        store = HeartbeatStore(api_key="k-sync")
        api = self.server(store=store)
        # The container has no zone but UTC (no tzdata): hbctl, systemd-analyze
        # and systemctl all read the times in it.
        env = dict(os.environ, TICKSTEM_API_KEY="k-sync")
        env.pop("TZ", None)
        p = runtimes.sh(["nsenter", "-t", str(self.pid), "-a", "hbctl", "--api-url", api.url,
                         "--json", "sync"], env=env)
        self.assertEqual(p.returncode, 6, p.stdout + p.stderr)
        self.assertEqual([(r.method, r.path) for r in api.requests],
                         [("GET", "/v1/heartbeats")])
        plan = {a["name"] or a["places"][0]: a for a in json.loads(p.stdout)["actions"]}
        want = {"hb-nightly-db.timer": "nightly-db", "hb-weekly-report.timer": "weekly-report",
                "hb-tpl@one.timer": "tpl-one", "logrotate.timer": "logrotate",
                "fstrim.timer": "fstrim"}
        for timer, name in want.items():
            sd = self.systemd_timer(timer)
            with self.subTest(timer=timer, systemd=sd):
                self.assertEqual(plan[name]["action"], "create", plan[name])
                # Its place is one of the files systemctl cat shows for it
                # (Debian's systemd finds /lib's before /usr/lib's: one
                # folder, /lib a link to usr/lib).
                cat = self.inside("systemctl", "cat", timer).stdout
                paths = [plan[name]["places"][0].rsplit(":", 1)[0]] + re.findall(
                    r"(?m)^# (/\S+)$", cat)
                real = self.inside("readlink", "-f", *paths).stdout.split("\n")
                self.assertIn(real[0], real[1:len(paths)], (paths, cat))
                times = self.calendar_times(sd["calendar"])
                gap = max(b - a for a, b in zip(times, times[1:]))
                self.assertEqual(plan[name]["interval"], min(gap, sd["every"] or gap))
                self.assertEqual(plan[name]["grace"], 300 + sd["delay"] + sd["accuracy"])
                nexts = self.list_timers_next()
                if nexts.get(timer) is not None:  # an active timer's next run
                    # (the second slot: one that came between the two reads)
                    self.assertTrue(any(t <= nexts[timer] <= t + sd["delay"]
                                        for t in times[:2]), (nexts[timer], times[:2]))
        nexts = self.list_timers_next()
        # What these drop-ins made of the schedules, by systemd's word.
        self.assertEqual(sorted(self.systemd_timer("hb-nightly-db.timer")["calendar"]),
                         ["*-*-* 02:00:00", "*-*-* 08:00:00"])
        self.assertEqual(plan["nightly-db"]["interval"], 18 * 3600)
        self.assertEqual(plan["weekly-report"]["interval"], 4 * 86400)
        self.assertEqual(plan["weekly-report"]["grace"], 391)
        self.assertEqual(plan["tpl-one"]["interval"], 1800)
        self.assertEqual(plan["tpl-one"]["grace"], 301)
        self.assertEqual(plan["logrotate"]["grace"], 420)
        self.assertEqual(len([t for t in want if nexts.get(t)]), 4, nexts)
        # Debian's other timers run no hbrun: each listed, at its own file.
        unmonitored = {a["places"][0].split(":")[0].rsplit("/", 1)[1]
                       for a in plan.values() if a["action"] == "unmonitored"}
        for timer in ("apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
                      "systemd-tmpfiles-clean.timer"):
            self.assertIn(timer, nexts)
            self.assertIn(timer, unmonitored)

    def children(self):
        """The PIDs of the job's `sleep MARK` children, seen from the host."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv[:2] == [b"sleep", MARK.encode()]:
                found.append(int(pid))
        return found


def span(text):
    """A time span as systemctl show prints it ("1h 30min", "2min", "0")
    in whole seconds, rounded up."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400,
             "w": 604800, "M": 2629800, "y": 31557600}
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)\s*([a-zA-Z]*)", text):
        total += float(num) * units[unit or "s"]
    return int(math.ceil(total))


if __name__ == "__main__":
    unittest.main(verbosity=2)
