"""hbrun as a process: exit statuses, 125/126/127, help and version, stdio,
environment, descriptors, closed 0-2, the job's argv, the token in argv.

SPEC sections 1, 3 and 5.
"""

import json
import os
import pty
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, start  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from jobs import PYTHON, wait_for, wait_child, cmdline  # noqa: E402
from servercase import ServerCase  # noqa: E402

# A loopback URL where nothing listens: if a test that wants no ping ever
# sent one, it would go nowhere but here.
NOWHERE = "http://127.0.0.1:%d/v1" % unused_port()

NOENT = "No such file or directory"
EACCES = "Permission denied"


class ExitStatus(ServerCase):
    def test_every_exit_status_passes_through(self):
        env = self.sb.env()
        # Under valgrind a sample: 256 runs of the same code at half a
        # second of memcheck start-up each would tell it nothing more.
        statuses = range(256)
        if harness.UNDER_VALGRIND:
            statuses = sorted(set(range(0, 256, 15)) | {1, 2, 125, 126, 127, 128, 255})
        for n in statuses:
            res = run(["-q", "--api-url", NOWHERE, "--", "sh", "-c", "exit %d" % n], env)
            self.assertEqual(res.returncode, n, res)
            self.assertEqual(res.stdout, "", res)
            self.assertEqual(res.stderr, "", res)

    def test_success_with_a_ping_is_silent(self):
        srv = self.server()
        res = run(["-t", "silent-token", "--api-url", srv.url, "--", "true"], self.sb.env())
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""), res)
        self.assertEqual([r.path for r in srv.requests],
                         ["/v1/heartbeats/silent-token/ping"])

    def test_job_output_is_only_the_jobs(self):
        srv = self.server()
        res = run(["-t", "tok-out", "--api-url", srv.url, "--",
                   "sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2"], self.sb.env())
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "out\n", "err\n"), res)


    def test_ends_when_the_job_ends_not_its_children(self):
        # The job leaves a background child behind: hbrun does not wait for it.
        p = start(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                   "sleep 5 </dev/null >/dev/null 2>&1 & exit 6"], self.sb.env(),
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        p.wait(timeout=30)
        self.assertEqual(p.returncode, 6)
        self.assertLess(time.monotonic() - t0, 3)

    def test_job_runs_in_hbruns_directory(self):
        res = run(["-q", "--api-url", NOWHERE, "--", "pwd"], self.sb.env(), cwd=self.sb.xdg)
        self.assertEqual(res.stdout, self.sb.xdg + "\n", res)


class CannotRun(ServerCase):
    """127 and 126: one line, the job never ran, -q does not hide it."""

    def check(self, args, cmd, code, reason, env=None, **kw):
        env = env or self.sb.env()
        for quiet in ([], ["-q"]):
            res = run(quiet + ["--api-url", NOWHERE] + args, env, **kw)
            self.assertEqual(res.returncode, code, res)
            self.assertEqual(res.stdout, "", res)
            self.assertEqual(res.stderr, "hbrun: cannot run '%s': %s\n" % (cmd, reason), res)

    def test_not_found_in_path(self):
        # A PATH of our own: an unsearchable folder in the caller's would
        # rightly turn ENOENT into EACCES.
        env = self.sb.env(PATH="/usr/local/bin:/usr/bin:/bin")
        self.check(["no-such-command-hbrun-test", "arg"], "no-such-command-hbrun-test", 127, NOENT,
                   env=env)

    def test_not_found_with_slash(self):
        p = self.sb.path("missing/job")
        self.check(["--", p], p, 127, NOENT)

    def test_not_found_relative(self):
        self.check(["./nope"], "./nope", 127, NOENT, cwd=self.sb.dir)

    def test_file_without_x_bit(self):
        p = self.sb.write_file("noexec.sh", "#!/bin/sh\ntouch %s\n" % self.sb.path("ran"), 0o644)
        self.check(["--", p], p, 126, EACCES)
        self.assertFalse(os.path.exists(self.sb.path("ran")))

    def test_file_without_x_bit_found_by_path_search(self):
        d = self.sb.path("bin")
        os.mkdir(d)
        self.sb.write_file(os.path.join(d, "hbrun-noexec-job"), "#!/bin/sh\nexit 0\n", 0o644)
        env = self.sb.env(PATH=d + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        self.check(["hbrun-noexec-job"], "hbrun-noexec-job", 126, EACCES, env=env)

    def test_directory(self):
        d = self.sb.path("adir")
        os.mkdir(d)
        self.check(["--", d], d, 126, EACCES)


class Usage(ServerCase):
    """125: hbrun's own command line is unusable; the job never runs."""

    def setUp(self):
        super().setUp()
        self.marker = self.sb.path("job-ran")

    def check_usage(self, args, with_job=True):
        job = ["touch", self.marker] if with_job else []
        for quiet in ([], ["-q"]):
            res = run(quiet + args + job, self.sb.env())
            self.assertEqual(res.returncode, 125, (args, res))
            self.assertEqual(res.stdout, "", (args, res))
            lines = res.stderr.splitlines(True)
            self.assertEqual(len(lines), 1, (args, res))
            self.assertTrue(lines[0].startswith("hbrun: ") and lines[0].endswith("\n"),
                            (args, res))
            self.assertFalse(os.path.exists(self.marker), (args, "the job ran", res))

    def test_unknown_options(self):
        for args in (["--bogus"], ["-Z"], ["--bogus", "--"],
                     ["--quiet=1"], ["--allow-http=yes"], ["-t", "tok", "--nope", "--"]):
            with self.subTest(args=args):
                self.check_usage(args)

    def test_no_command(self):
        for args in ([], ["--"], ["-q"], ["-t", "tok"], ["-t", "tok", "--"],
                     ["--api-url", NOWHERE]):
            with self.subTest(args=args):
                self.check_usage(args, with_job=False)

    def test_missing_option_argument(self):
        for args in (["--token"], ["-t"], ["--api-url"], ["-c"], ["-j"],
                     ["--ping-retries"], ["--token-file"]):
            with self.subTest(args=args):
                self.check_usage(args, with_job=False)

    def test_bad_numbers(self):
        for args in (["--ping-retries", "x"], ["--ping-retries", "-1"], ["--ping-retries", "1x"],
                     ["--ping-retries", ""], ["--ping-retries", "1.5"],
                     ["--ping-retries", "99999999999999999999999"],
                     ["--ping-retries=x"],
                     ["--ping-timeout", "-1"], ["--ping-timeout", "x"], ["--ping-timeout", ""],
                     ["--ping-timeout", "nan"], ["--ping-timeout", "inf"],
                     ["--ping-deadline", "-1"], ["--ping-deadline", "soon"],
                     ["--ping-deadline=-5"]):
            with self.subTest(args=args):
                self.check_usage(args + ["--"])

    def test_good_numbers_are_accepted(self):
        srv = self.server()
        res = run(["--ping-retries", "0", "--ping-timeout", "2.5", "--ping-deadline", "7",
                   "-t", "numtok", "--api-url", srv.url, "--", "true"], self.sb.env())
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(srv.requests), 1)


class HelpVersion(ServerCase):
    def test_help(self):
        for opt in ("--help", "-h"):
            res = run([opt], self.sb.env())
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(res.stderr, "", res)
            self.assertIn("Usage", res.stdout)
            self.assertIn("COMMAND", res.stdout)

    def test_version(self):
        for opt in ("--version", "-V"):
            res = run([opt], self.sb.env())
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(res.stderr, "", res)
            self.assertRegex(res.stdout, r"\Ahbrun [0-9][^\s]*\n\Z")

    def test_help_and_version_do_not_run_the_job(self):
        marker = self.sb.path("ran")
        for opt in ("--help", "-h", "--version", "-V"):
            res = run([opt, "touch", marker], self.sb.env())
            self.assertEqual(res.returncode, 0, res)
            self.assertFalse(os.path.exists(marker), opt)

    def test_help_after_command_is_the_jobs(self):
        res = run(["-q", "--api-url", NOWHERE, "echo", "--help", "-V"], self.sb.env())
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "--help -V\n", ""), res)


class Argv(ServerCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()

    def test_printf_dash_t(self):
        res = run(["-t", "T", "--api-url", self.srv.url, "--", "printf", "%s", "-t"], self.sb.env())
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "-t", ""), res)

    def test_options_stop_at_first_non_option(self):
        res = run(["-t", "T", "--api-url", self.srv.url, "printf", "%s", "-t"], self.sb.env())
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "-t", ""), res)

    def test_job_argv_untouched(self):
        words = ["-q", "--help", "--", "a b", "", "--token=x", "-t", "T", "\u00e9\t*", "--bogus"]
        code = "import sys, json; print(json.dumps(sys.argv[1:]))"
        for sep in ([], ["--"]):
            res = run(["-t", "T", "--api-url", self.srv.url] + sep + [PYTHON, "-c", code] + words,
                      self.sb.env())
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(json.loads(res.stdout), words, res)

    def test_job_argv0_is_command(self):
        res = run(["-q", "--api-url", NOWHERE, "--", "sh", "-c", 'echo "$0:$1"', "zero", "one"],
                  self.sb.env())
        self.assertEqual(res.stdout, "zero:one\n", res)

    def test_job_argument_equal_to_the_token_is_kept(self):
        tok = "argv-token-0123456789"
        res = run(["-t", tok, "--api-url", self.srv.url, "--", "echo", tok, "-t", tok], self.sb.env())
        self.assertEqual((res.returncode, res.stdout), (0, "%s -t %s\n" % (tok, tok)), res)


class TokenInArgv(ServerCase):
    """After parsing, hbrun overwrites a token given in its own argv."""

    @unittest.skipIf(harness.UNDER_VALGRIND, "under valgrind /proc/PID/cmdline is "
                     "valgrind's own copy of the argv, which hbrun cannot overwrite")
    def test_token_not_in_cmdline_while_job_runs(self):
        tok = "SeCrEtToKeN-9f8e7d6c5b4a"
        started = self.sb.path("started")
        forms = (["-t", tok], ["--token", tok], ["--token=" + tok], ["-t" + tok],
                 ["-qt", tok], ["-qt" + tok])
        srv = self.server()
        for i, form in enumerate(forms):
            with self.subTest(form=form):
                go = self.sb.path("go%d" % i)
                job = ["sh", "-c", 'touch "$1"; while [ ! -e "$2" ]; do sleep 0.02; done',
                       "job", started, go]
                p = start(form + ["--api-url", srv.url, "--"] + job, self.sb.env())
                try:
                    self.assertTrue(wait_for(lambda: os.path.exists(started), 10))
                    line = cmdline(p.pid)
                    self.assertNotIn(tok.encode(), line)
                    self.assertNotIn(tok[4:].encode(), line)
                    self.assertIn(b"--api-url", line)  # it is hbrun's cmdline
                finally:
                    open(go, "w").close()
                    out, err = p.communicate(timeout=30)
                    os.unlink(started)
                self.assertEqual(p.returncode, 0, err)
                self.assertNotIn(tok[4:], err)
                # The copy hbrun kept still works.
                self.assertTrue(srv.wait_requests(i + 1, 5))
                self.assertEqual(srv.requests[i].path, "/v1/heartbeats/%s/ping" % tok)


class Stdio(ServerCase):
    """The job gets hbrun's own stdin, stdout and stderr."""

    IDS = r'''
import json, os, sys
ids = [[os.fstat(fd).st_dev, os.fstat(fd).st_ino] for fd in (0, 1, 2)]
with open(sys.argv[1], "w") as f:
    json.dump(ids, f)
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"in:" + data)
sys.stdout.flush()
sys.stderr.write("to-stderr\n")
'''

    def test_same_descriptors_and_stdin_passes(self):
        report = self.sb.path("ids.json")
        errpath = self.sb.path("stderr.txt")
        payload = b"hello\x00world\n" * 1000
        srv = self.server()
        with open(errpath, "w+b") as errf:
            p = harness.subprocess.Popen(
                harness.command(["-t", "stdio-tok", "--api-url", srv.url, "--",
                                 PYTHON, "-c", self.IDS, report]),
                env=self.sb.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf)
            want = [[os.fstat(f).st_dev, os.fstat(f).st_ino]
                    for f in (p.stdin.fileno(), p.stdout.fileno(), errf.fileno())]
            out, _ = p.communicate(payload, timeout=30)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(out, b"in:" + payload)
            errf.seek(0)
            self.assertEqual(errf.read(), b"to-stderr\n")
        with open(report) as f:
            self.assertEqual(json.load(f), want)

    def test_interleaved_writes_keep_their_order(self):
        script = "for i in 1 2 3 4 5 6 7 8 9 10; do echo out$i; echo err$i >&2; done"
        want = "".join("out%d\nerr%d\n" % (i, i) for i in range(1, 11))
        srv = self.server()
        for _ in range(5):
            res = run(["-t", "order-tok", "--api-url", srv.url, "--", "sh", "-c", script],
                      self.sb.env(), stderr=subprocess.STDOUT)
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(res.stdout, want)

    def test_tty_stays_a_tty(self):
        report = self.sb.path("tty.json")
        code = ("import os, json, sys; json.dump([os.isatty(0), os.isatty(1), os.isatty(2)],"
                " open(sys.argv[1], 'w'))")
        master, slave = pty.openpty()
        try:
            p = harness.subprocess.Popen(
                harness.command(["-q", "--api-url", NOWHERE, "--", PYTHON, "-c", code, report]),
                env=self.sb.env(), stdin=slave, stdout=slave, stderr=slave,
                start_new_session=True)
            os.close(slave)
            slave = None
            _drain_until_exit(master, p, 30)
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0)
        with open(report) as f:
            self.assertEqual(json.load(f), [True, True, True])


def _drain_until_exit(master, p, timeout):
    """Read a pty master until the process ends (so it never blocks writing)."""
    end = time.monotonic() + timeout
    os.set_blocking(master, False)
    while p.poll() is None and time.monotonic() < end:
        try:
            os.read(master, 4096)
        except (BlockingIOError, OSError):
            time.sleep(0.01)
    p.wait(max(0.1, end - time.monotonic()))


class Environment(ServerCase):
    def job_env(self, env, args=()):
        res = run(list(args) + ["--", "cat", "/proc/self/environ"], env)
        self.assertEqual(res.returncode, 0, res)
        out = {}
        for item in res.stdout.split("\0"):
            if item:
                k, _, v = item.partition("=")
                self.assertNotIn(k, out, "duplicate %s" % k)
                out[k] = v
        # Every run has an id of its own, a random UUID (version 4).
        self.assertRegex(out.pop("HBRUN_RUN_ID", ""),
                         r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        return harness.without_wrapper_env(out), res

    def test_environment_less_hbrun_token(self):
        srv = self.server()
        env = self.sb.env(HBRUN_TOKEN="env-token-abcdef", HBRUN_API_URL=srv.url,
                          HBRUN_CONFIG=self.sb.config, FOO="bar", EQUALS="a=b=c",
                          EMPTY="", SPACES="  x  y ", hbrun_token="lowercase-stays")
        got, res = self.job_env(env)
        want = dict(env)
        del want["HBRUN_TOKEN"]
        self.assertEqual(got, want)
        self.assertEqual(res.stderr, "", res)
        # The token was still used for the ping, at the env's API URL.
        self.assertEqual([r.path for r in srv.requests],
                         ["/v1/heartbeats/env-token-abcdef/ping"])

    def test_token_variable_removed_even_when_empty_or_overridden(self):
        srv = self.server()
        for value, args in (("", ["-q", "--api-url", NOWHERE]),
                            ("env-token-x", ["-t", "cli-tok", "--api-url", srv.url])):
            env = self.sb.env(HBRUN_TOKEN=value)
            got, _ = self.job_env(env, args)
            want = dict(env)
            del want["HBRUN_TOKEN"]
            self.assertEqual(got, want)
        self.assertEqual([r.path for r in srv.requests], ["/v1/heartbeats/cli-tok/ping"])


class Descriptors(ServerCase):
    """The job gets no descriptor of hbrun's own; inherited ones pass."""

    def test_no_leaked_descriptors_inherited_pass(self):
        conf_dir = self.sb.path("conf")
        os.mkdir(conf_dir)
        self.sb.write_file(os.path.join(conf_dir, "tokfile"), "fd-token-1234\n")
        srv = self.server()
        conf = self.sb.write_file(os.path.join(conf_dir, "hbrun.conf"),
                                  "api_url = %s\ntoken_file = tokfile\n" % srv.url)
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        p = start(["-c", conf, "--", "sleep", "30"], self.sb.env(HBRUN_CONFIG=conf),
                  pass_fds=(r,), stdin=subprocess.DEVNULL)
        try:
            job = wait_child(p.pid, comm="sleep")
            self.assertIsNotNone(job, "job did not start")
            fds = {}
            for fd in os.listdir("/proc/%d/fd" % job):
                try:
                    fds[int(fd)] = os.readlink("/proc/%d/fd/%s" % (job, fd))
                except FileNotFoundError:
                    pass
            mine = os.readlink("/proc/self/fd/%d" % r)
            self.assertEqual(set(fds), {0, 1, 2, r}, fds)
            self.assertEqual(fds[r], mine)
            self.assertEqual(fds[0], "/dev/null")
        finally:
            os.kill(p.pid, signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, -signal.SIGTERM, err)


class ClosedStdio(ServerCase):
    """hbrun started with 0, 1 or 2 closed puts /dev/null (read-write) there."""

    REPORT = r'''
import json, os, sys
out = {}
for fd in (0, 1, 2):
    try:
        path = os.readlink("/proc/self/fd/%d" % fd)
        with open("/proc/self/fdinfo/%d" % fd) as f:
            flags = [l.split()[1] for l in f if l.startswith("flags:")][0]
        out[fd] = [path, int(flags, 8) & 3]
    except OSError:
        out[fd] = None
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
'''

    def run_closed(self, closed, extra=()):
        if 2 in closed and harness.UNDER_VALGRIND:
            self.skipTest("valgrind cannot start a program with fd 2 closed")
        report = self.sb.path("fds.json")
        if os.path.exists(report):
            os.unlink(report)

        def close_them():
            for fd in closed:
                os.close(fd)

        p = subprocess.run(
            harness.command(list(extra) + ["--", PYTHON, "-c", self.REPORT, report]),
            env=self.sb.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=close_them, timeout=30)
        self.assertEqual(p.returncode, 0)
        with open(report) as f:
            return {int(k): v for k, v in json.load(f).items()}

    def test_closed_descriptors_become_dev_null(self):
        srv = self.server()
        for closed in ((0,), (1,), (2,), (0, 1, 2), (1, 2), (0, 2)):
            with self.subTest(closed=closed):
                got = self.run_closed(closed, ["-t", "closed-tok", "--api-url", srv.url])
                for fd in (0, 1, 2):
                    self.assertIsNotNone(got[fd], (fd, got))
                    self.assertEqual(got[fd][0], "/dev/null", (fd, got))
                    if fd in closed:
                        self.assertEqual(got[fd][1], os.O_RDWR, (fd, "not read-write", got))

    def test_messages_do_not_land_in_a_file_on_fd2(self):
        # With fd 2 closed, a config file opened by hbrun must not become its
        # stderr: the warning about the unknown key would be written into it.
        text = "bogus_key = 1\n"
        conf = self.sb.write_config(text)
        got = self.run_closed((2,), ["-c", conf, "--api-url", NOWHERE])
        self.assertEqual(got[2][0], "/dev/null")
        with open(conf) as f:
            self.assertEqual(f.read(), text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
