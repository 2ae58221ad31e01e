"""packaging/cron: the /etc/cron.d example is a valid cron.d file, the
example /etc/hbrun.conf is read by the real hbrun without a warning, and
each crontab line, run as cron runs it (sh -c, the file's PATH, the config
file at /etc/hbrun.conf's place), pings its job's heartbeat with the token
of its section and prints nothing.

Each line's job (/usr/local/bin/backup, ...) is replaced by `true`, and a
--ping-url to the local fake API is put after `hbrun`: nothing but
127.0.0.1 is ever reached.
"""

import configparser
import os
import re
import shlex
import subprocess
import unittest

from pkgtest import (ServerCase, bin_dir, packaging_file, private_copy, read, run,
                     sandbox_env)

CRON_FILE = packaging_file("cron", "hbrun-jobs")
CONF_FILE = packaging_file("cron", "hbrun.conf")

MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()
# field: (lowest, highest, names)
FIELDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 7, DAYS)]
KEYWORDS = {"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
            "@midnight", "@hourly"}


class CronSyntaxError(Exception):
    pass


def check_field(text, low, high, names):
    """One time field, as Debian's cron reads it (crontab(5))."""
    if names and text.lower() in names:
        return
    for item in text.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", item)
        if not m:
            raise CronSyntaxError("bad time field item %r" % item)
        if m.group(2) is not None:
            a = int(m.group(2))
            b = int(m.group(3)) if m.group(3) is not None else a
            if not (low <= a <= high and low <= b <= high and a <= b):
                raise CronSyntaxError("%r is out of %d-%d" % (item, low, high))
            if m.group(4) is not None and m.group(3) is None:
                raise CronSyntaxError("a step needs a range or *: %r" % item)
        if m.group(4) is not None and int(m.group(4)) < 1:
            raise CronSyntaxError("bad step in %r" % item)


def parse_cron_d(text):
    """(environment, jobs) of a /etc/cron.d file; jobs are (user, command).
    Raises CronSyntaxError for what cron would reject or misread."""
    if not text.endswith("\n"):
        raise CronSyntaxError("the last line has no newline: cron ignores it")
    env, jobs = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", stripped)
        if m and not stripped[0].isdigit():
            env[m.group(1)] = m.group(2)
            continue
        words = stripped.split(None, 6) if not stripped.startswith("@") else \
            stripped.split(None, 2)
        try:
            if stripped.startswith("@"):
                if words[0] not in KEYWORDS:
                    raise CronSyntaxError("unknown %s" % words[0])
                user, command = words[1], words[2]
            else:
                if len(words) < 7:
                    raise CronSyntaxError("fewer than 7 fields")
                for field, (low, high, names) in zip(words[:5], FIELDS):
                    check_field(field, low, high, names)
                user, command = words[5], words[6]
            if not re.fullmatch(r"[a-z_][a-z0-9_-]*\$?", user):
                raise CronSyntaxError("bad user %r" % user)
            if re.search(r"(?<!\\)%", command):
                raise CronSyntaxError("a bare %% in the command is a newline to cron")
        except (CronSyntaxError, IndexError) as e:
            raise CronSyntaxError("line %d: %s" % (n, e))
        jobs.append((user, command))
    return env, jobs


def conf_sections(path):
    """{section: {key: value}} of an INI file, the global part as ''."""
    p = configparser.ConfigParser(interpolation=None, strict=True,
                                  comment_prefixes=("#", ";"))
    p.optionxform = str
    p.read_string("[__global__]\n" + read(path))
    return {("" if s == "__global__" else s): dict(p[s]) for s in p.sections()}


class CronD(unittest.TestCase):
    def test_file_name_is_one_cron_reads(self):
        # Debian's cron skips files in /etc/cron.d with any other character.
        self.assertRegex(os.path.basename(CRON_FILE), r"^[A-Za-z0-9_-]+$")

    def test_syntax(self):
        env, jobs = parse_cron_d(read(CRON_FILE))
        self.assertEqual(env.get("SHELL"), "/bin/sh")
        self.assertIn("/usr/bin", env["PATH"].split(":"))
        self.assertGreaterEqual(len(jobs), 2)
        for user, command in jobs:
            argv = shlex.split(command)
            self.assertEqual(argv[0], "hbrun", command)
            self.assertIn("--", argv, command)
            self.assertIn("-j", argv, command)
            self.assertEqual(user, "root", "/etc/hbrun.conf is root's")

    def test_checker_rejects_what_cron_would(self):
        for bad in ("61 * * * * root true\n", "* * * * root true\n",
                    "* * * * * root date +%F\n", "* * * * * root true",
                    "5-1 * * * * root true\n", "* * * foo * root true\n",
                    "3/5 * * * * root true\n"):
            with self.subTest(line=bad):
                with self.assertRaises(CronSyntaxError):
                    parse_cron_d(bad)
        parse_cron_d("*/5 1-3,7 1 jan sun root date +\\%F\n@daily root true\n")

    def test_every_job_has_a_section(self):
        sections = conf_sections(CONF_FILE)
        for _, command in parse_cron_d(read(CRON_FILE))[1]:
            argv = shlex.split(command)
            self.assertIn(argv[argv.index("-j") + 1], sections)


class ExampleConfig(ServerCase):
    """`hbrun -c hbrun.conf -j SECTION --ping-url ... -- true` says nothing."""

    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.conf = private_copy(self.sb, CONF_FILE, "hbrun.conf", 0o600)
        self.sections = conf_sections(CONF_FILE)

    def ping_url(self):
        return "http://127.0.0.1:%d/ping/{token}" % self.srv.port

    def test_each_section_reads_without_a_warning(self):
        jobs = [s for s in self.sections if s]
        self.assertGreaterEqual(len(jobs), 2)
        for n, job in enumerate(jobs, 1):
            with self.subTest(job=job):
                res = run(["-c", self.conf, "-j", job, "--ping-url", self.ping_url(),
                           "--", "true"], sandbox_env(self.sb))
                self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
                self.assertTrue(self.srv.wait_requests(n, 10), res)
                token = self.sections[job]["token"]
                self.assertEqual(self.srv.requests[-1].path, "/ping/" + token)

    def test_global_part_reads_without_a_warning(self):
        url = "http://127.0.0.1:%d/ping/global" % self.srv.port
        res = run(["-c", self.conf, "--ping-url", url, "--", "true"], sandbox_env(self.sb))
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
        self.assertTrue(self.srv.wait_requests(1, 10))

    def test_readable_by_others_draws_a_warning(self):
        # Why the example says mode 0600: it holds tokens.
        os.chmod(self.conf, 0o644)
        res = run(["-c", self.conf, "-j", "backup", "--ping-url", self.ping_url(),
                   "--", "true"], sandbox_env(self.sb))
        self.assertEqual(res.returncode, 0)
        self.assertIn("readable by group or others", res.stderr)


class Recipe(ServerCase):
    """Each line of the cron.d file, run as cron would run it."""

    def setUp(self):
        super().setUp()
        self.srv = self.server()
        # In /etc/hbrun.conf's place: HBRUN_CONFIG, as the search would find it.
        self.conf = private_copy(self.sb, CONF_FILE, "hbrun.conf", 0o600)

    def test_lines_ping_with_their_sections_token(self):
        cron_env, jobs = parse_cron_d(read(CRON_FILE))
        sections = conf_sections(CONF_FILE)
        for n, (_, command) in enumerate(jobs, 1):
            argv = shlex.split(command)
            job = argv[argv.index("-j") + 1]
            argv = argv[:1] + ["--ping-url", "http://127.0.0.1:%d/ping/{token}" % self.srv.port] \
                + argv[1:argv.index("--") + 1] + ["true"]
            if "--lock" in argv:  # the machine's /var/lock is not the test's
                argv[argv.index("--lock") + 1] = self.sb.path(job + ".lock")
            env = sandbox_env(self.sb, HBRUN_CONFIG=self.conf, **cron_env)
            env["PATH"] = bin_dir(self.sb) + ":" + cron_env["PATH"]
            with self.subTest(job=job):
                p = subprocess.run([cron_env["SHELL"], "-c", shlex.join(argv)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, timeout=60)
                # cron mails any output: there must be none.
                self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
                self.assertTrue(self.srv.wait_requests(n, 10))
                self.assertEqual(self.srv.requests[-1].path,
                                 "/ping/" + sections[job]["token"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
