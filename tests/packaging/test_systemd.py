"""packaging/systemd: the example service and timer pass `systemd-analyze
verify` without a word (where Debian's systemd package provides it; a
strict parse of the unit files always), and the service's recipe works:
its ExecStart, run with the token as systemd hands it over (a credential
in %d, or HBRUN_TOKEN from an EnvironmentFile=), pings with that token and
prints nothing; a stop as KillMode=mixed does it (SIGTERM to hbrun alone)
reaches the job once and sends no ping.

The ExecStart's /usr/bin/hbrun is the built hbrun here, its job `true`
(or a small shell job), and the API the local fake one.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import unittest

from pkgtest import (HBRUN, MAN_PAGES, ServerCase, packaging_file, read, run,
                     sandbox_env, start, tempdir)

SERVICE = packaging_file("systemd", "hbrun-backup.service")
TIMER = packaging_file("systemd", "hbrun-backup.timer")

# The keys these units may use, per section: a typo is an error even
# where systemd-analyze is missing.
KNOWN = {
    "Unit": {"Description", "Documentation", "Wants", "Requires", "After", "Before",
             "ConditionPathExists"},
    "Service": {"Type", "ExecStart", "EnvironmentFile", "Environment", "LoadCredential",
                "SetCredential", "KillMode", "KillSignal", "TimeoutStopSec", "User",
                "Group", "Nice", "IOSchedulingClass"},
    "Timer": {"OnCalendar", "RandomizedDelaySec", "Persistent", "AccuracySec", "Unit",
              "OnBootSec", "OnUnitActiveSec"},
    "Install": {"WantedBy"},
}


def parse_unit(text):
    """[(section, key, value)] of a unit file; commented-out settings
    ("#Key=value") are returned with the section "#Section"."""
    entries, section = [], None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", s)
        if m:
            section = m.group(1)
            continue
        m = re.fullmatch(r"#([A-Z][A-Za-z]+)=(.*)", s)
        if m:
            entries.append(("#" + section, m.group(1), m.group(2)))
            continue
        if s[0] in "#;":
            continue
        m = re.fullmatch(r"([A-Z][A-Za-z]+)=(.*)", s)
        if not m or section is None:
            raise ValueError("line %d is not a setting: %r" % (n, line))
        entries.append((section, m.group(1), m.group(2)))
    return entries


def settings(entries, section):
    out = {}
    for sec, key, value in entries:
        if sec == section:
            out.setdefault(key, []).append(value)
    return out


def exec_argv(exec_start, credentials_dir=None):
    """An ExecStart= line as argv, with %d and /usr/bin/hbrun resolved."""
    argv = shlex.split(exec_start)
    if credentials_dir:
        argv = [w.replace("%d", credentials_dir) for w in argv]
    assert argv[0] == "/usr/bin/hbrun", argv
    return argv[1:]  # harness.run puts HBRUN in front


def api_env(sb, srv, **extra):
    return sandbox_env(sb, HBRUN_API_URL=srv.url, **extra)


class Parse(unittest.TestCase):
    def setUp(self):
        self.service = parse_unit(read(SERVICE))
        self.timer = parse_unit(read(TIMER))

    def test_known_keys_only(self):
        for name, entries in (("service", self.service), ("timer", self.timer)):
            for section, key, _ in entries:
                with self.subTest(unit=name, key=key):
                    self.assertIn(key, KNOWN[section.lstrip("#")])

    def test_service(self):
        svc = settings(self.service, "Service")
        self.assertEqual(svc["Type"], ["oneshot"])
        # Signals reach the job once, through hbrun: see the unit's comment.
        self.assertEqual(svc["KillMode"], ["mixed"])
        self.assertEqual(len(svc["ExecStart"]), 1)
        argv = shlex.split(svc["ExecStart"][0])
        self.assertEqual(argv[0], "/usr/bin/hbrun")
        self.assertIn("--", argv)
        self.assertEqual(argv[argv.index("--token-file") + 1], "%d/token")
        self.assertRegex(svc["LoadCredential"][0], r"^token:/")
        self.assertIn("man:hbrun(1)", settings(self.service, "Unit")["Documentation"])

    def test_environment_file_variant(self):
        alt = settings(self.service, "#Service")
        self.assertRegex(alt["EnvironmentFile"][0], r"^/")
        argv = shlex.split(alt["ExecStart"][0])
        self.assertEqual(argv[0], "/usr/bin/hbrun")
        self.assertNotIn("--token-file", argv)

    def test_timer(self):
        self.assertTrue(settings(self.timer, "Timer")["OnCalendar"])
        self.assertEqual(settings(self.timer, "Timer")["Persistent"], ["true"])
        self.assertEqual(settings(self.timer, "Install")["WantedBy"], ["timers.target"])
        # No Unit=: the timer starts the service of its own name.
        self.assertNotIn("Unit", settings(self.timer, "Timer"))
        self.assertEqual(os.path.splitext(TIMER)[0], os.path.splitext(SERVICE)[0])

    def test_parser_rejects_garbage(self):
        with self.assertRaises(ValueError):
            parse_unit("[Service]\nExecStart /bin/true\n")


@unittest.skipUnless(shutil.which("systemd-analyze"), "no systemd-analyze here")
class Verify(unittest.TestCase):
    """systemd-analyze verify: every setting parsed, ExecStart's program
    executable, the Documentation= man page found (the built one)."""

    def setUp(self):
        self.dir = tempdir(self)
        self.args = ["--man=no"]
        built = {os.path.basename(p): p for p in MAN_PAGES}
        self.env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="cat")
        if "hbrun.1" in built:
            os.makedirs(os.path.join(self.dir, "man", "man1"))
            shutil.copy(built["hbrun.1"], os.path.join(self.dir, "man", "man1"))
            self.env["MANPATH"] = os.path.join(self.dir, "man")
            self.args = []

    def install(self, path, text):
        # Only the program path changes: /usr/bin/hbrun is not installed here.
        dest = os.path.join(self.dir, os.path.basename(path))
        with open(dest, "w") as f:
            f.write(text.replace("/usr/bin/hbrun", os.path.abspath(HBRUN)))
        return dest

    def verify(self, *units):
        p = subprocess.run(["systemd-analyze", "verify"] + self.args + list(units),
                           env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        return p.returncode, p.stdout

    def test_units_verify_silently(self):
        units = [self.install(SERVICE, read(SERVICE)), self.install(TIMER, read(TIMER))]
        self.assertEqual(self.verify(*units), (0, ""))

    def test_environment_file_variant_verifies(self):
        text = read(SERVICE)
        text = re.sub(r"(?m)^(LoadCredential|ExecStart)=", r"#\1=", text)
        text = re.sub(r"(?m)^#(EnvironmentFile|ExecStart)=(?!.*--token-file)", r"\1=", text)
        self.assertEqual(len(re.findall(r"(?m)^ExecStart=", text)), 1)
        self.assertEqual(self.verify(self.install(SERVICE, text)), (0, ""))

    def test_verify_does_complain(self):
        # The silence above means something: a bad setting is reported.
        bad = self.install(SERVICE, read(SERVICE).replace("KillMode=mixed", "KillMode=bogus"))
        self.assertIn("bogus", self.verify(bad)[1])


class Recipe(ServerCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.service = parse_unit(read(SERVICE))

    def test_credential(self):
        # systemd's copy: in a private folder, owned by the service's user, 0400.
        creds = self.sb.path("credentials")
        os.mkdir(creds, 0o700)
        name = settings(self.service, "Service")["LoadCredential"][0].split(":")[0]
        self.sb.write_file(os.path.join(creds, name), "cred-token-1234\n", 0o400)
        argv = exec_argv(settings(self.service, "Service")["ExecStart"][0], creds)
        res = run(argv[:argv.index("--") + 1] + ["true"], api_env(self.sb, self.srv))
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
        self.assertTrue(self.srv.wait_requests(1, 10))
        self.assertEqual(self.srv.requests[0].path, "/v1/heartbeats/cred-token-1234/ping")

    def test_environment_file(self):
        alt = settings(self.service, "#Service")
        argv = exec_argv(alt["ExecStart"][0])
        env = api_env(self.sb, self.srv, HBRUN_TOKEN="envfile-token-5678")
        job = ["sh", "-c", 'test -z "${HBRUN_TOKEN+set}"']  # hbrun removed it
        res = run(argv[:argv.index("--") + 1] + job, env)
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
        self.assertTrue(self.srv.wait_requests(1, 10))
        self.assertEqual(self.srv.requests[0].path, "/v1/heartbeats/envfile-token-5678/ping")

    def test_stop_as_kill_mode_mixed(self):
        # KillMode=mixed: SIGTERM to the main process (hbrun) alone.
        log = self.sb.path("terms")
        ready = self.sb.path("ready")
        job = ["sh", "-c", 'trap "echo TERM >> %s; exit 143" TERM; : > %s; '
               'while :; do sleep 0.05; done' % (log, ready)]
        p = start(["-t", "tok-stop", "--"] + job, api_env(self.sb, self.srv))
        deadline = time.monotonic() + 20
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 143, err)
        self.assertEqual(read(log), "TERM\n")  # once
        time.sleep(0.2)
        self.assertEqual(self.srv.requests, [])  # asked to stop: no ping


if __name__ == "__main__":
    unittest.main(verbosity=2)
