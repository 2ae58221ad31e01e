"""The installed Debian package, as a user gets it (packaging/ci.sh runs
this after `apt-get install ./hbrun_*.deb`; not a meson test, since it
needs the package installed):

- dpkg knows hbrun at the project's version, with Depends: libcurl4, and
  it holds both programs, the man pages and the examples;
- `man hbrun`, `man hbctl` and `man 5 hbrun.conf` find the pages and
  render them without a warning;
- /usr/bin/hbrun runs a job and pings the local fake API (libcurl loaded
  at run time from the system); hbctl creates a heartbeat there that
  hbrun then pings;
- the shipped examples work as installed: the systemd units pass
  systemd-analyze verify as they are (/usr/bin/hbrun now exists), and the
  example config file serves a job.

    HBRUN=/usr/bin/hbrun HBCTL=/usr/bin/hbctl python3 tests/packaging/installed.py
"""

import json
import os
import re
import shutil
import subprocess
import unittest

from pkgtest import (ServerCase, meson_version, private_copy, run, sandbox_env,
                     tempdir)
from fakeapi import HeartbeatStore

HBRUN = "/usr/bin/hbrun"
HBCTL = "/usr/bin/hbctl"
EXAMPLES = "/usr/share/doc/hbrun/examples"
KEY = "tk_test_installed_0123456789"


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=120, **kw)


class Package(unittest.TestCase):
    def test_status_and_version(self):
        p = sh(["dpkg-query", "-W", "-f", "${Status}|${Version}|${Depends}", "hbrun"])
        status, version, depends = p.stdout.split("|")
        self.assertEqual(status, "install ok installed")
        self.assertEqual(version, meson_version())
        self.assertIn("libcurl4 (>= ", depends)

    def test_contents(self):
        files = set(sh(["dpkg", "-L", "hbrun"]).stdout.split())
        for f in (HBRUN, HBCTL, "/usr/share/man/man1/hbrun.1.gz",
                  "/usr/share/man/man1/hbctl.1.gz", "/usr/share/man/man5/hbrun.conf.5.gz",
                  "/usr/share/doc/hbrun/copyright",
                  EXAMPLES + "/cron/hbrun-jobs", EXAMPLES + "/cron/hbrun.conf",
                  EXAMPLES + "/systemd/hbrun-backup.service",
                  EXAMPLES + "/systemd/hbrun-backup.timer",
                  EXAMPLES + "/kubernetes/cronjob.yaml",
                  EXAMPLES + "/prometheus/hbrun.rules.yml",
                  EXAMPLES + "/prometheus/hbrun.rules.test.yml"):
            self.assertIn(f, files)

    @unittest.skipUnless(shutil.which("promtool"), "promtool (prometheus) is not installed")
    def test_prometheus_rules_as_installed(self):
        for args in (["check", "rules", "hbrun.rules.yml"],
                     ["test", "rules", "hbrun.rules.test.yml"]):
            p = sh(["promtool"] + args, cwd=EXAMPLES + "/prometheus")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_versions_print(self):
        for prog in (HBRUN, HBCTL):
            out = sh([prog, "--version"]).stdout
            self.assertEqual(out.split(), [os.path.basename(prog), meson_version()])


@unittest.skipUnless(shutil.which("man"), "man-db is not installed")
class ManPages(unittest.TestCase):
    def test_found_and_clean(self):
        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
        for args, path in ((["hbrun"], "/usr/share/man/man1/hbrun.1.gz"),
                           (["hbctl"], "/usr/share/man/man1/hbctl.1.gz"),
                           (["5", "hbrun.conf"], "/usr/share/man/man5/hbrun.conf.5.gz")):
            with self.subTest(page=args[-1]):
                self.assertEqual(sh(["man", "-w"] + args, env=env).stdout.strip(), path)
                p = sh(["man", "--warnings"] + args, env=env)
                self.assertEqual((p.returncode, p.stderr), (0, ""))
                self.assertIn("SYNOPSIS", p.stdout)


class Runs(ServerCase):
    def test_job_then_ping(self):
        srv = self.server()
        res = run(["-t", "installed-token", "--api-url", srv.url, "--",
                   "sh", "-c", "echo job ran"], sandbox_env(self.sb))
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "job ran\n", ""))
        self.assertTrue(srv.wait_requests(1, 10))
        req = srv.requests[0]
        self.assertEqual((req.method, req.path),
                         ("POST", "/v1/heartbeats/installed-token/ping"))
        self.assertEqual(req.headers["user-agent"], "hbrun/" + meson_version())

    def test_failed_job_no_ping(self):
        srv = self.server()
        res = run(["-t", "installed-token", "--api-url", srv.url, "--",
                   "sh", "-c", "exit 3"], sandbox_env(self.sb))
        self.assertEqual(res.returncode, 3)
        self.assertEqual(srv.requests, [])

    def test_hbctl_creates_what_hbrun_pings(self):
        store = HeartbeatStore(api_key=KEY)
        srv = self.server(store=store)
        env = sandbox_env(self.sb, TICKSTEM_API_KEY=KEY, HBRUN_API_URL=srv.url)
        p = sh([HBCTL, "--json", "create", "nightly", "--interval", "86400"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        hb = json.loads(p.stdout)
        res = run(["--", "true"], dict(env, HBRUN_TOKEN=hb["token"]))
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        self.assertEqual(len(store.pings_of(hb["id"])), 1)
        p = sh([HBCTL, "list"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nightly", p.stdout)

    def test_example_config(self):
        conf = private_copy(self.sb, EXAMPLES + "/cron/hbrun.conf", "hbrun.conf", 0o600)
        srv = self.server()
        res = run(["-j", "backup", "--", "true"],
                  sandbox_env(self.sb, HBRUN_CONFIG=conf, HBRUN_API_URL=srv.url))
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        self.assertTrue(srv.wait_requests(1, 10))
        self.assertRegex(srv.requests[0].path, r"^/v1/heartbeats/[^/]+/ping$")


@unittest.skipUnless(shutil.which("systemd-analyze"), "no systemd-analyze here")
class SystemdExamples(unittest.TestCase):
    def test_verify_as_shipped(self):
        d = tempdir(self)
        units = []
        for name in ("hbrun-backup.service", "hbrun-backup.timer"):
            units.append(os.path.join(d, name))
            shutil.copy(os.path.join(EXAMPLES, "systemd", name), units[-1])
        p = sh(["systemd-analyze", "verify"] + units,
               env=dict(os.environ, SYSTEMD_LOG_COLOR="0"))
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
