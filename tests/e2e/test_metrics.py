"""The metrics file (--metrics-file, hbrun(1) METRICS FILE) against the real
things: every file hbrun writes here is checked by `promtool check metrics`,
and the real node_exporter (Debian's prometheus-node-exporter), started on
127.0.0.1 with its textfile collector on a folder hbrun writes, is scraped
over HTTP: the job's series and their values after a success, a failure, a
timeout, a stop and a held lock; node_textfile_scrape_error stays 0 while
many hbruns rewrite their files at once.  Previous files that are broken,
another job's, special or untrusted restart the counters with a warning;
a folder that cannot be written is one warning; neither changes the job's
exit status or its requests.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_metrics.py
"""

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import daemons  # noqa: E402
import harness  # noqa: E402
from harness import run, start  # noqa: E402
from jobs import lock_held  # noqa: E402
from servercase import ServerCase  # noqa: E402

TOKEN = "Mx7QpR2vLk9sWd4T"
PROMTOOL = shutil.which("promtool")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
OTHER_UID = 12345
# Many hbruns at once, fewer under valgrind (each is slower there).
MANY = 12 if harness.UNDER_VALGRIND else 50


def few(cases, n):
    """CASES, or their first N under valgrind, where every hbrun takes
    seconds: the suite's budget."""
    return cases[:n] if harness.UNDER_VALGRIND else cases

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(value):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse(text):
    """The series of an exposition-format TEXT: {(name, ((label, value),
    ...)): float}, label values unescaped."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SERIES.match(line)
        assert m, "not a series line: %r" % line
        labels = tuple(sorted((k, unescape(v)) for k, v in LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def of_job(series, job):
    """SERIES of job JOB: {name or name/label-value: value}."""
    out = {}
    for (name, labels), value in series.items():
        d = dict(labels)
        if d.get("job") != job or not name.startswith("hbrun_"):
            continue
        extra = [v for k, v in labels if k != "job"]
        out[name + ("/" + extra[0] if extra else "")] = value
    return out


def promtool_check(test, text):
    """`promtool check metrics` on TEXT: no error, no lint problem."""
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                       capture_output=True, timeout=60)
    test.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeExporter:
    """The real node_exporter on 127.0.0.1, its textfile collector alone,
    reading FOLDER; stopped by its pid."""

    def __init__(self, folder):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % self.port,
             "--collector.disable-defaults", "--collector.textfile",
             "--collector.textfile.directory=" + folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):  # bounded: 200 tries, 50 ms apart
            try:
                self.scrape()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError("node_exporter ended: %s" % self.proc.stderr.read())
                time.sleep(0.05)
        self.stop()
        raise AssertionError("node_exporter did not answer on port %d" % self.port)

    def scrape(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port,
                                    timeout=10) as r:
            return r.read().decode()

    def stop(self):
        daemons.stop(self.proc, 5)
        self.proc.stderr.close()


@unittest.skipUnless(PROMTOOL, "promtool (Debian: prometheus) is not installed")
class MetricsCase(ServerCase):
    def setUp(self):
        super().setUp()
        self.dir = self.sb.path("textfile")
        os.mkdir(self.dir)
        self.file = os.path.join(self.dir, "job.prom")
        self.sb.write_config("[job]\nquiet = no\n")  # -j job finds its section

    def hbrun(self, args, command, env=None, **kw):
        res = run(list(args) + ["--"] + list(command), env or self.sb.env(), **kw)
        return res

    def metrics(self, path=None, job="job"):
        """The file's series of JOB, after promtool has checked it."""
        with open(path or self.file) as f:
            text = f.read()
        promtool_check(self, text)
        return of_job(parse(text), job)

    def warnings(self, res):
        return [l for l in res.lines() if l.startswith("hbrun: ")
                and not (harness.UNDER_VALGRIND and re.match(r"^--\d+-- ", l))]


@unittest.skipUnless(PROMTOOL, "promtool (Debian: prometheus) is not installed")
@unittest.skipUnless(NODE_EXPORTER, "node_exporter (Debian: prometheus-node-exporter) "
                     "is not installed")
class Exporter(MetricsCase):
    """node_exporter reads what hbrun writes."""

    def setUp(self):
        super().setUp()
        self.exporter = NodeExporter(self.dir)
        self.addCleanup(self.exporter.stop)

    def scraped(self, job="job"):
        text = self.exporter.scrape()
        series = parse(text)
        self.assertEqual(series[("node_textfile_scrape_error", ())], 0, text)
        return of_job(series, job)

    def test_each_ending_as_node_exporter_serves_it(self):
        srv = self.server()
        base = ["-j", "job", "--metrics-file", self.file, "-t", TOKEN,
                "--api-url", srv.base + "/v1", "--ping-retries", "0",
                "--fail-url", srv.base + "/fail/{token}/{exit_status}"]
        before = time.time()
        res = self.hbrun(base, ["sh", "-c", "sleep 0.3; x=$(head -c 4000000 /dev/zero | "
                                            "tr '\\0' a); :"])
        self.assertEqual(res.returncode, 0, res)
        after = time.time()
        m = self.scraped()
        self.assertEqual(m, self.metrics())  # node_exporter serves the file as it is
        self.assertEqual([m["hbrun_runs_total/" + r] for r in
                          ("success", "failure", "timeout", "stopped", "lock_held")],
                         [1, 0, 0, 0, 0])
        self.assertEqual(m["hbrun_last_exit_status"], 0)
        self.assertTrue(before <= m["hbrun_last_start_timestamp_seconds"]
                        <= m["hbrun_last_end_timestamp_seconds"] <= after + 0.001, m)
        self.assertEqual(m["hbrun_last_success_timestamp_seconds"],
                         m["hbrun_last_end_timestamp_seconds"])
        self.assertAlmostEqual(m["hbrun_last_duration_seconds"],
                               m["hbrun_last_end_timestamp_seconds"]
                               - m["hbrun_last_start_timestamp_seconds"], delta=0.0015)
        self.assertGreaterEqual(m["hbrun_last_duration_seconds"], 0.3)
        # the shell held 4 MB at once
        self.assertGreater(m["hbrun_last_max_rss_bytes"], 4000000)
        self.assertGreater(m["hbrun_last_cpu_seconds/user"] + m["hbrun_last_cpu_seconds/system"], 0)
        success_at = m["hbrun_last_success_timestamp_seconds"]

        res = self.hbrun(base, ["sh", "-c", "exit 3"])
        self.assertEqual(res.returncode, 3)
        m = self.scraped()
        self.assertEqual((m["hbrun_runs_total/success"], m["hbrun_runs_total/failure"],
                          m["hbrun_last_exit_status"]), (1, 1, 3))
        self.assertEqual(m["hbrun_last_success_timestamp_seconds"], success_at)

        res = self.hbrun(base + ["--timeout", "0.2", "--kill-after", "1"], ["sleep", "30"])
        self.assertEqual(res.returncode, 124)
        m = self.scraped()
        self.assertEqual((m["hbrun_runs_total/timeout"], m["hbrun_last_exit_status"]), (1, 124))
        self.assertGreaterEqual(m["hbrun_last_duration_seconds"], 0.2)

        p = start(base + ["--", "sh", "-c", "echo up; exec sleep 30"], self.sb.env())
        self.assertEqual(p.stdout.readline(), "up\n")
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
        self.assertEqual(p.returncode, -signal.SIGTERM)
        m = self.scraped()
        self.assertEqual((m["hbrun_runs_total/stopped"], m["hbrun_last_exit_status"]), (1, 143))

        lock = self.sb.path("lock")
        with open(lock, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            res = self.hbrun(base + ["--lock", lock], ["true"])
        self.assertEqual(res.returncode, 75)
        m = self.scraped()
        self.assertEqual((m["hbrun_runs_total/lock_held"], m["hbrun_last_exit_status"]), (1, 75))
        self.assertNotIn("hbrun_last_duration_seconds", m)  # the job never ran
        self.assertNotIn("hbrun_last_max_rss_bytes", m)
        self.assertEqual(m["hbrun_last_success_timestamp_seconds"], success_at)
        self.assertEqual([m["hbrun_runs_total/" + r] for r in
                          ("success", "failure", "timeout", "stopped", "lock_held")],
                         [1, 1, 1, 1, 1])
        # the requests are what they are without the file: no request for 75
        self.assertEqual([r.path for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN, "/fail/%s/3" % TOKEN,
                          "/fail/%s/124" % TOKEN, "/fail/%s/143" % TOKEN])

    def test_label_values_escaped(self):
        for name in few(('we"ird\\', "back\\slash", "two\nlines", "caf\u00e9 \\n"), 2):
            path = os.path.join(self.dir, "odd%d.prom" % len(name))
            for _ in range(2):
                res = self.hbrun(["-j", name, "--metrics-file", path], ["true"])
                self.assertEqual(res.returncode, 0)
            self.assertEqual(self.metrics(path, name)["hbrun_runs_total/success"], 2)
            self.assertEqual(self.scraped(name)["hbrun_runs_total/success"], 2, name)

    def test_many_rewrites_never_half_read(self):
        """MANY hbruns of five jobs rewrite their files at once (five runs to
        a file, overlapping) while node_exporter is scraped in a loop: no
        scrape sees a broken file, and every run is counted."""
        paths = [os.path.join(self.dir, "many%d.prom" % i) for i in range(5)]
        procs = [start(["-j", "many%d" % (i % 5), "--metrics-file", paths[i % 5], "--",
                        "sh", "-c", "exit %d" % (i % 2)], self.sb.env())
                 for i in range(MANY)]
        scrapes = 0
        while scrapes < 400 and (scrapes < 5 or any(p.poll() is None for p in procs)):
            self.scraped()  # node_textfile_scrape_error 0 in each
            scrapes += 1
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=harness.scaled(60))
            self.assertEqual(p.returncode, i % 2, err)
        counted = 0
        for i, path in enumerate(paths):
            m = self.metrics(path, "many%d" % i)
            counted += m["hbrun_runs_total/success"] + m["hbrun_runs_total/failure"]
            self.assertEqual(self.scraped("many%d" % i), m)
        self.assertEqual(counted, MANY)
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(os.path.basename(p) for p in paths))


RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "packaging", "prometheus")


@unittest.skipUnless(PROMTOOL, "promtool (Debian: prometheus) is not installed")
class Rules(unittest.TestCase):
    """The shipped alerting rules: valid, and their unit tests pass."""

    def test_promtool(self):
        for args in (["check", "rules", "hbrun.rules.yml"],
                     ["test", "rules", "hbrun.rules.test.yml"]):
            p = subprocess.run([PROMTOOL] + args, cwd=RULES, capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("SUCCESS", p.stdout)


class Schedule(MetricsCase):
    """With a schedule, its longest gap: the number the silence rule needs
    of every job, and every series the shipped rules name."""

    def test_longest_gap(self):
        for expr, tz, gap in few((("0 3 * * *", None, 86400),
                                  ("0 0 29 2 *", "Europe/Berlin", 1461 * 86400),
                                  ("*/15 * * * *", None, 900),
                                  ("Mon..Fri *-*-* 09:00", "UTC", 3 * 86400)), 1):
            args = ["-j", "job", "--schedule", expr, "--metrics-file", self.file]
            res = self.hbrun(args + (["--tz", tz] if tz else []), ["true"])
            self.assertEqual((res.returncode, self.warnings(res)), (0, []), res)
            self.assertEqual(self.metrics()["hbrun_schedule_longest_gap_seconds"], gap, expr)

    def test_unusable_schedule_is_one_warning(self):
        for extra in few((["--schedule", "61 * * * *"], ["--schedule", "@reboot"],
                          ["--schedule", "0 3 * * *", "--tz", "Nowhere/Atlantis"]), 1):
            res = self.hbrun(["-j", "job", "--metrics-file", self.file] + extra, ["true"])
            self.assertEqual(res.returncode, 0)
            self.assertEqual(len(self.warnings(res)), 1, res)
            m = self.metrics()
            self.assertNotIn("hbrun_schedule_longest_gap_seconds", m)
            self.assertIn("hbrun_last_success_timestamp_seconds", m)
            os.unlink(self.file)

    def test_every_series_the_rules_name(self):
        with open(os.path.join(RULES, "hbrun.rules.yml")) as f:
            named = set(re.findall(r"\b(hbrun_[a-z_]+)", f.read()))
        self.hbrun(["-j", "job", "--schedule", "0 3 * * *", "--metrics-file", self.file],
                   ["true"])
        written = {k.split("/")[0] for k in self.metrics()}
        self.assertTrue(named, "the rules name no series")
        self.assertEqual(named - written, set())


class PreviousFile(MetricsCase):
    """What stands at FILE before the run: only a trusted file that hbrun
    wrote for this job carries its counters over; the job and its request
    never notice."""

    def run_job(self, *extra, status=0):
        srv = self.server()
        res = self.hbrun(["-j", "job", "--metrics-file", self.file, "-t", TOKEN,
                          "--api-url", srv.base + "/v1", "--ping-retries", "0"] + list(extra),
                         ["sh", "-c", "exit %d" % status])
        self.assertEqual(res.returncode, status, res)
        self.assertEqual([r.path for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN] if status == 0 else [])
        return res

    def three_runs(self):
        """Three runs (two under valgrind), each counted."""
        self.runs = 2 if harness.UNDER_VALGRIND else 3
        for _ in range(self.runs):
            self.assertEqual(self.warnings(self.run_job()), [])
        self.assertEqual(self.metrics()["hbrun_runs_total/success"], self.runs)

    def assertRestarted(self, res, why):
        self.assertEqual(len(self.warnings(res)), 1, res)
        self.assertIn(why, self.warnings(res)[0])
        self.assertIn("counters restart at 0", self.warnings(res)[0])
        m = self.metrics()
        self.assertEqual(m["hbrun_runs_total/success"], 1)
        self.assertEqual(os.stat(self.file).st_mode & 0o7777, 0o644)

    def test_carried_over_and_mode(self):
        os.umask(0o077)
        try:
            self.three_runs()
        finally:
            os.umask(0o022)
        self.assertEqual(os.stat(self.file).st_mode & 0o7777, 0o644)
        self.run_job(status=4)
        m = self.metrics()
        self.assertEqual((m["hbrun_runs_total/success"], m["hbrun_runs_total/failure"]),
                         (self.runs, 1))

    def test_corrupt(self):
        self.three_runs()
        with open(self.file, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace('result="success"} %d' % self.runs,
                                 'result="success"} %dx' % self.runs))
        self.assertRestarted(self.run_job(), "not a metrics file hbrun wrote")

    def test_cut_short_or_garbage(self):
        for data in few((b"hbrun_runs_total{job=\"job\",result=\"success\"} 9", b"",
                         b"\0" * 100, os.urandom(3000), b"x" * 200000), 2):
            with open(self.file, "wb") as f:
                f.write(data)
            self.assertRestarted(self.run_job(), "not a metrics file hbrun wrote")

    def test_another_jobs_file(self):
        self.three_runs()
        self.sb.write_config("[job]\nquiet = no\n[other]\nquiet = no\n")
        res = self.hbrun(["-j", "other", "--metrics-file", self.file], ["true"])
        self.assertEqual(res.returncode, 0)
        self.assertEqual(len(self.warnings(res)), 1, res)
        self.assertEqual(self.metrics(job="other")["hbrun_runs_total/success"], 1)

    def test_fifo_never_blocks(self):
        os.mkfifo(self.file)
        self.assertRestarted(self.run_job(), "not a regular file")

    def test_untrusted(self):
        self.three_runs()
        os.chmod(self.file, 0o666)
        self.assertRestarted(self.run_job(), "writable by group or others")
        if os.geteuid() == 0:
            os.unlink(self.file)
            self.three_runs()
            os.chown(self.file, OTHER_UID, -1)
            self.assertRestarted(self.run_job(), "owned by another user")

    def test_symlink_followed(self):
        self.three_runs()
        os.rename(self.file, self.file + ".real")
        os.symlink("job.prom.real", self.file)
        self.run_job()
        self.assertFalse(os.path.islink(self.file))  # replaced, its target left alone
        self.assertEqual(self.metrics()["hbrun_runs_total/success"], self.runs + 1)

    def test_directory_in_its_place(self):
        os.mkdir(self.file)
        res = self.run_job(status=2)
        self.assertEqual(len(self.warnings(res)), 2, res)  # unreadable, unwritable
        self.assertTrue(os.path.isdir(self.file))
        self.assertEqual(os.listdir(self.dir), ["job.prom"])  # nothing left behind


class Folder(MetricsCase):
    def test_unwritable_folder_is_one_warning(self):
        for path in few((self.sb.path("missing/job.prom"), "/proc/hbrun-test.prom",
                         "/proc/self/hbrun/job.prom"), 1):
            for status in (0, 5):
                srv = self.server()
                res = self.hbrun(["--metrics-file", path, "-t", TOKEN, "--api-url",
                                  srv.base + "/v1", "--ping-retries", "0"],
                                 ["sh", "-c", "exit %d" % status])
                self.assertEqual(res.returncode, status, res)
                self.assertEqual(len(srv.requests), 1 - bool(status))
                self.assertEqual(len(self.warnings(res)), 1, res)
                self.assertIn("not updated", res.stderr)
                self.assertFalse(os.path.exists(path))

    def test_quiet_says_nothing(self):
        res = self.hbrun(["-q", "--metrics-file", self.sb.path("missing/x.prom")], ["true"])
        self.assertEqual((res.returncode, res.stderr), (0, ""))

    def test_no_token_no_warning(self):
        """Prometheus alone watching the job: success is silent."""
        res = self.hbrun(["--metrics-file", self.file], ["true"])
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
        self.assertEqual(self.metrics(job="true")
                         ["hbrun_runs_total/success"], 1)

    def test_job_name_is_the_commands_base_name(self):
        res = self.hbrun(["--metrics-file", self.file], ["/bin/sh", "-c", "exit 0"])
        self.assertEqual(res.returncode, 0)
        self.assertIn("hbrun_runs_total/success", self.metrics(job="sh"))

    def test_not_utf8_name(self):
        """A label value is UTF-8: a job named otherwise gets no file."""
        p = subprocess.run(harness.command([b"-j", b"caf\xe9", b"--metrics-file",
                                            self.file.encode(), b"--", b"true"]),
                           env=self.sb.env(), capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"not UTF-8", p.stderr)
        self.assertFalse(os.path.exists(self.file))

    def test_section_level(self):
        """The job's own section names its file (relative to the config
        file's folder); in the global part it is ignored, with a warning."""
        self.sb.write_config("metrics_file = global.prom\n[nightly]\n"
                             "metrics_file = textfile/nightly.prom\n")
        path = os.path.join(self.sb.xdg, "hbrun", "textfile")
        os.mkdir(path)
        res = self.hbrun(["-j", "nightly"], ["true"])
        self.assertEqual(res.returncode, 0)
        self.assertEqual(len(self.warnings(res)), 1, res)
        self.assertIn("belongs in a job's section", res.stderr)
        m = self.metrics(os.path.join(path, "nightly.prom"), "nightly")
        self.assertEqual(m["hbrun_runs_total/success"], 1)
        self.assertFalse(os.path.exists(os.path.join(self.sb.xdg, "hbrun", "global.prom")))

    def test_empty_value_blocks_the_section(self):
        self.sb.write_config("[nightly]\nmetrics_file = %s\n" % self.file)
        res = self.hbrun(["-j", "nightly", "--metrics-file", ""], ["true"])
        self.assertEqual(res.returncode, 0)
        self.assertIn("empty value for --metrics-file", res.stderr)
        self.assertFalse(os.path.exists(self.file))

    def test_stopped_during_the_random_delay(self):
        """The run reached the lock: counted as stopped, the job never ran."""
        lock = self.sb.path("lock")
        p = start(["-j", "job", "--lock", lock, "--random-delay", "60", "--metrics-file",
                   self.file, "--", "true"], self.sb.env())
        # hbrun takes its lock once it reads its signals from a signalfd
        deadline = time.monotonic() + harness.scaled(30)
        while time.monotonic() < deadline and not lock_held(lock):
            time.sleep(0.01)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=harness.scaled(30))
        self.assertEqual(p.returncode, -signal.SIGTERM)
        m = self.metrics()
        self.assertEqual((m["hbrun_runs_total/stopped"], m["hbrun_last_exit_status"]), (1, 143))
        self.assertNotIn("hbrun_last_duration_seconds", m)

    def test_check_judges_the_folder(self):
        for path, line in ((self.file, "ok: metrics file %s: its folder can be written"),
                           (self.sb.path("nope/x.prom"), "problem: metrics file %s: its "
                            "folder cannot be written (No such file or directory)")):
            res = self.hbrun(["--check", "--metrics-file", path], ["true"])
            self.assertIn(line % path, res.stdout)
            self.assertEqual(os.listdir(self.dir), [])  # nothing written

    def test_unusable_config_file_blocks_it(self):
        self.sb.write_config("[nightly]\n", mode=0o666)
        res = self.hbrun(["-j", "nightly", "--metrics-file", self.file], ["true"])
        self.assertEqual(res.returncode, 0)
        self.assertFalse(os.path.exists(self.file))

    def test_within_the_deadline_when_the_ping_hangs(self):
        """The end request leaves the file its share of the deadline."""
        srv = self.server(plan=[("hang",)])
        deadline = 8 if harness.UNDER_VALGRIND else 4
        res = harness.run_timed(["--metrics-file", self.file, "-t", TOKEN, "--api-url",
                                 srv.base + "/v1", "--ping-deadline", str(deadline), "--",
                                 "true"], self.sb.env())
        self.assertEqual(res.returncode, 0)
        self.assertLess(res.idle, harness.upper(deadline + 0.5))
        self.assertEqual(self.metrics(job="true")["hbrun_runs_total/success"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
