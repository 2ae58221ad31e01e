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
- TimeoutStopSec running out kills the job's children too.
"""

import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import unittest

import runtimes
import daemons  # tests/support, on the path through pkgtest
from pkgtest import HBRUN, ServerCase, packaging_file, read

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
        tar, why = runtimes.rootfs("systemd", ["systemd-sysv", "libcurl4",
                                               "ca-certificates"])
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
