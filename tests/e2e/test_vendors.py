"""End-to-end tests of the sentry and cronitor presets, healthchecks' slug
URLs, the monitor and header settings and the fields that say what the job
cost (hbrun(1), EVENTS AND SERVICES, HEADERS), against the local fake
server: every request's method, path, query and body asserted exactly.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_vendors.py
"""

import json
import os
import re
import signal
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from servercase import ServerCase  # noqa: E402
import harness  # noqa: E402
from harness import leaks  # noqa: E402
from jobs import SAY_RUN_ID, run_id_job as job  # noqa: E402
from harness import run, scaled, start  # noqa: E402

KEY = "9c1fQx7RkWm3Zp5T"      # a DSN's public key: a credential
TOKEN = "Hv8KqW2mNx7RbT4Lz9Pc"
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
SECS = r"[0-9]+\.[0-9]{3}"
SAY = 'printf %s "$HBRUN_RUN_ID"; '
FAST = ["--ping-retries", "0", "--ping-deadline", "5"]
HOST = urllib.parse.quote(os.uname().nodename, safe="")


def few(cases):
    """CASES, or under valgrind (half a second a run) a sample of them: the
    plain and ASan passes run them all."""
    return cases[::4] if harness.UNDER_VALGRIND else cases


class VendorCase(ServerCase):
    def hbrun(self, args, command, env=None, **kw):
        return run(list(args) + ["--"] + list(command), env or self.sb.env(), **kw)

    def until_retried(self, srv, args, status=0):
        """Run hbrun with ARGS and a job that waits until the start
        request came twice (its first attempt refused), then exits
        STATUS: (rc, stdout, stderr)."""
        go = self.sb.path("go")
        p = start(list(args) + ["--", "sh", "-c", SAY + 'while [ ! -e "$1" ]; do sleep 0.02; '
                                'done; exit "$2"', "job", go, str(status)], self.sb.env())
        self.addCleanup(lambda: p.poll() is None and p.kill())
        came = srv.wait_requests(2, scaled(30))
        open(go, "w").close()
        out, err = p.communicate(timeout=scaled(60))
        self.assertTrue(came, srv.requests)
        return p.returncode, out, err

    def targets(self, srv):
        return [(r.method, r.target, r.body) for r in srv.requests]

    def assertTargets(self, srv, want):
        """Each request's method, path and query (a regular expression,
        the run id and durations left to their patterns) and body."""
        got = self.targets(srv)
        self.assertEqual(len(got), len(want), got)
        for (method, target, body), (wm, wt, wb) in zip(got, want):
            self.assertEqual(method, wm, got)
            self.assertRegex(target, "^" + wt + "$")
            self.assertEqual(body, wb, got)


class Sentry(VendorCase):
    """sentry: check-ins in_progress, ok and error under the DSN's
    /api/PROJECT/cron/MONITOR/KEY/, the run id as their check-in id."""

    def dsn(self, srv, prefix=""):
        return "http://%s@%s%s/42" % (KEY, srv.base.split("://", 1)[1], prefix)

    def path(self, monitor="nightly", prefix=""):
        return re.escape("%s/api/42/cron/%s/%s/" % (prefix, monitor, KEY))

    def sentry(self, status, *extra, srv=None, command=None):
        srv = srv or self.server()
        res = self.hbrun(["--service", "sentry", "-t", self.dsn(srv), "--monitor",
                          "nightly"] + FAST + list(extra), command or job(status))
        return srv, res

    def test_success(self):
        srv, res = self.sentry(0)
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [
            ("POST", self.path() + r"\?status=in_progress&check_in_id=" + rid, b""),
            ("POST", self.path() + r"\?status=ok&check_in_id=%s&duration=%s" % (rid, SECS),
             b"")])
        for r in srv.requests:
            self.assertNotIn("content-type", r.headers)

    def test_every_fail_ending_is_an_error_check_in(self):
        err = r"\?status=error&check_in_id=%s&duration=" + SECS
        start_ = r"\?status=in_progress&check_in_id=%s"
        srv, res = self.sentry(3)
        self.assertEqual(res.returncode, 3, res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [("POST", self.path() + start_ % rid, b""),
                                 ("POST", self.path() + err % rid, b"")])
        srv, res = self.sentry(0, command=["sh", "-c", SAY + "kill -KILL $$"])
        self.assertEqual(res.returncode, -9, res)
        self.assertEqual(len(srv.requests), 2, srv.requests)
        self.assertRegex(srv.requests[1].target, self.path() + err % UUID4)
        srv, res = self.sentry(0, "--timeout", "0.3", "--kill-after", "1",
                               command=["sleep", "30"])
        self.assertEqual(res.returncode, 124, res)
        self.assertRegex(srv.requests[-1].target, self.path() + err % UUID4)
        srv, res = self.sentry(0, command=["/nonexistent/job"])
        self.assertEqual(res.returncode, 127, res)
        # a command that never ran never started: only the error
        self.assertTargets(srv, [("POST", self.path() + err % UUID4, b"")])

    def test_asked_to_stop(self):
        srv = self.server()
        p = start(["--service", "sentry", "-t", self.dsn(srv), "--monitor", "nightly"]
                  + FAST + ["--", "sh", "-c", "trap 'exit 0' TERM; echo up; "
                            "while :; do sleep 0.05; done"], self.sb.env())
        self.assertEqual(p.stdout.readline(), "up\n")
        self.assertTrue(srv.wait_requests(1, 10))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(srv.requests), 2, srv.requests)
        self.assertRegex(srv.requests[1].target, self.path() + r"\?status=error&")

    def test_retries_keep_the_check_in_id(self):
        srv = self.server(plan=[("status", 503, {}, b""), ("status", 202, {}, b""),
                                ("status", 503, {}, b""), ("status", 202, {}, b"")])
        rc, out, err = self.until_retried(srv, [
            "--service", "sentry", "-t", self.dsn(srv), "--monitor", "nightly",
            "--ping-retries", "2", "--ping-deadline", "30"])
        self.assertEqual((rc, err), (0, ""))
        ids = [urllib.parse.parse_qs(r.target.split("?")[1])["check_in_id"][0]
               for r in srv.requests]
        self.assertEqual(ids, [out] * 4)
        self.assertEqual([urllib.parse.parse_qs(r.target.split("?")[1])["status"][0]
                          for r in srv.requests],
                         ["in_progress", "in_progress", "ok", "ok"])

    def test_send_output_is_not_sent(self):
        srv, res = self.sentry(0, "--send-output", "100",
                               command=["sh", "-c", "echo hello; " + SAY_RUN_ID, "j", "0"])
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout.split("\n")[0], "hello")
        self.assertEqual(res.lines(), ["hbrun: send_output: a Sentry check-in carries no "
                                       "output; the job's output is not sent"])
        self.assertEqual([r.body for r in srv.requests], [b"", b""])

    def test_dsn_from_sentry_dsn_and_a_path_prefix(self):
        srv = self.server()
        env = self.sb.env(SENTRY_DSN=self.dsn(srv, "/sentry"))
        res = self.hbrun(["--service", "sentry", "--monitor", "db-dump"] + FAST, job(0),
                         env=env)
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(srv.requests), 2)
        self.assertRegex(srv.requests[1].target,
                         self.path("db-dump", "/sentry") + r"\?status=ok&")
        # a token given beats SENTRY_DSN; another service never reads it
        other = self.server()
        res = self.hbrun(["--service", "sentry", "-t", self.dsn(other), "--monitor",
                          "m"] + FAST, job(0), env=env)
        self.assertEqual(len(other.requests), 2)
        res = self.hbrun(["--service", "cronitor", "--api-url", srv.base, "--monitor",
                          "m"] + FAST, job(0), env=env)
        self.assertEqual(len(srv.requests), 2, srv.requests)
        self.assertIn("no token", res.stderr)

    def test_monitor_defaults_to_the_job_name(self):
        srv = self.server()
        self.sb.write_config("[backup]\nservice = sentry\ntoken = %s\n" % self.dsn(srv))
        res = self.hbrun(["--check", "-j", "backup"], ["true"])
        self.assertIn("\nmonitor = backup (-j NAME)\n", res.stdout)
        self.assertEqual(srv.requests, [])
        res = self.hbrun(["-j", "backup"] + FAST, job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertRegex(srv.requests[1].target, self.path("backup") + r"\?status=ok&")
        # and without either, no request: never a guessed name
        res = self.hbrun(["--service", "sentry", "-t", self.dsn(srv)] + FAST, job(0))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 2)
        self.assertEqual(res.lines(), ["hbrun: a URL names the monitor and none is set "
                                       "(--monitor, or -j NAME); no request that names "
                                       "it is sent"])

    def test_unusable_dsns_send_nothing(self):
        srv = self.server()
        host = srv.base.split("://", 1)[1]
        for dsn in few(("%s/42" % srv.base, "http://%s@%s" % (KEY, host),
                    "http://%s@%s/" % (KEY, host), "http://@%s/42" % host,
                    "%s@%s/42" % (KEY, host), "http://%s@%s/42?x=1" % (KEY, host),
                        "http://..@%s/42" % host, "http://%s@%s/.." % (KEY, host))):
            res = self.hbrun(["--service", "sentry", "-t", dsn, "--monitor", "m"] + FAST,
                             job(4))
            self.assertEqual(res.returncode, 4, res)
            self.assertIn("the token is not a Sentry DSN", res.stderr, dsn)
        self.assertEqual(srv.requests, [])

    def test_loopback_rule_and_redaction(self):
        res = self.hbrun(["-v", "--service", "sentry", "-t",
                          "http://%s@sentry.example.invalid/42" % KEY, "--monitor", "m"]
                         + FAST, job(0))
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("refusing plain http to http://sentry.example.invalid", res.stderr)
        self.assertEqual(leaks(res.stderr, KEY), [], res)
        # https to a server that is not there: the key is in no line
        res = self.hbrun(["-v", "--service", "sentry", "-t",
                          "https://%s@127.0.0.1:1/42" % KEY, "--monitor", "m"] + FAST,
                         job(1))
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("https://127.0.0.1:1", res.stderr)
        self.assertEqual(leaks(res.stderr, KEY), [], res)

    def test_check_shows_the_dsn_redacted(self):
        srv = self.server()
        res = self.hbrun(["--check", "--service", "sentry", "--monitor", "m"], ["true"],
                         env=self.sb.env(SENTRY_DSN=self.dsn(srv)))
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("ok: token http... (environment SENTRY_DSN)", res.stdout)
        self.assertEqual(leaks(res.stdout, KEY), [], res)
        self.assertEqual(srv.requests, [])


class SentryMonitor(VendorCase):
    """With a schedule, the start request carries the monitor's
    configuration as its JSON body (hbrun(1), SENTRY'S MONITOR)."""

    def start_body(self, *extra, env=None, plan=None, command=None):
        srv = self.server(plan=plan)
        dsn = "http://%s@%s/42" % (KEY, srv.base.split("://", 1)[1])
        res = self.hbrun(["--service", "sentry", "-t", dsn, "--monitor", "nightly"] + FAST
                         + list(extra), command or job(0), env=env)
        self.assertEqual(res.returncode, 0, res)
        return srv, res

    def body(self, rid, schedule, **config):
        config = dict({"schedule": schedule}, **config)
        return json.dumps({"status": "in_progress", "check_in_id": rid,
                           "monitor_config": config}, separators=(",", ":")).encode()

    def test_crontab(self):
        srv, res = self.start_body("--schedule", "30 2 * * *", "--tz", "Europe/Berlin",
                                   "--timeout", "1800")
        self.assertEqual(res.stderr, "", res)
        start_, end = srv.requests
        # grace: timeout + ping_deadline, 1805 s; runtime: with kill_after, 1815 s
        self.assertEqual(start_.body, self.body(
            res.stdout, {"type": "crontab", "value": "30 2 * * *"}, checkin_margin=31,
            max_runtime=31, timezone="Europe/Berlin"))
        self.assertEqual(start_.headers.get("content-type"), "application/json")
        self.assertRegex(start_.target, r"^/api/42/cron/nightly/%s/\?status=in_progress"
                         r"&check_in_id=%s$" % (KEY, re.escape(res.stdout)))
        self.assertEqual((end.body, end.headers.get("content-type")), (b"", None))

    def test_check_shows_it(self):
        res = self.hbrun(["--check", "--service", "sentry", "-t", "https://%s@h.invalid/4" % KEY,
                          "--monitor", "m", "--schedule", "0 3 * * *", "--tz", "UTC"], ["true"])
        self.assertRegex(res.stdout, r'\nok: start request body \(Sentry\'s monitor\): '
                         r'\{"status":"in_progress","check_in_id":"%s","monitor_config":'
                         r'\{"schedule":\{"type":"crontab","value":"0 3 \* \* \*"\},'
                         r'"checkin_margin":5,"timezone":"UTC"\}\}\n' % UUID4)
        self.assertEqual(leaks(res.stdout, KEY), [], res)

    def test_a_word_is_its_five_fields(self):
        srv, res = self.start_body("--schedule", "@daily", "--tz", "UTC",
                                   "--random-delay", "0.1", "--ping-deadline", "900")
        # without a timeout: the grace of 300 s, or the start's lateness
        self.assertEqual(srv.requests[0].body, self.body(
            res.stdout, {"type": "crontab", "value": "0 0 * * *"}, checkin_margin=16,
            timezone="UTC"))

    def test_a_calendar_event_is_its_longest_gap(self):
        srv, res = self.start_body("--schedule", "Mon..Fri *-*-* 09:00", "--tz", "UTC")
        self.assertEqual(srv.requests[0].body, self.body(
            res.stdout, {"type": "interval", "value": 3, "unit": "day"}, checkin_margin=5,
            timezone="UTC"))
        srv, res = self.start_body("--schedule", "*:0/20", "--tz", "Asia/Tokyo")
        self.assertEqual(srv.requests[0].body, self.body(
            res.stdout, {"type": "interval", "value": 20, "unit": "minute"},
            checkin_margin=5, timezone="Asia/Tokyo"))

    def test_retried_whole_with_the_same_check_in_id(self):
        srv = self.server(plan=[("status", 503, {}, b""), ("status", 202, {}, b"")])
        dsn = "http://%s@%s/42" % (KEY, srv.base.split("://", 1)[1])
        rc, out, err = self.until_retried(srv, [
            "--service", "sentry", "-t", dsn, "--monitor", "nightly", "--schedule",
            "0 * * * *", "--tz", "UTC", "--ping-retries", "2", "--ping-deadline", "30"])
        self.assertEqual((rc, err), (0, ""))
        first, again = srv.requests[:2]
        self.assertEqual(first.body, again.body)
        self.assertEqual(json.loads(first.body)["check_in_id"], out)

    def test_no_body_where_it_cannot_go(self):
        for extra in (["--method", "GET"], ["--start-url", "http://127.0.0.1:1/s"]):
            srv, res = self.start_body("--schedule", "0 3 * * *", "--tz", "UTC", *extra)
            for r in srv.requests:
                self.assertEqual((r.body, r.headers.get("content-type")), (b"", None))
        srv, res = self.start_body("--schedule", "61 * * * *")
        self.assertEqual([r.body for r in srv.requests], [b"", b""])
        self.assertEqual(res.lines(), ['hbrun: schedule: cron minute field "61" is unusable; '
                                       "the start request goes without Sentry's monitor "
                                       "configuration"])
        srv, res = self.start_body("--schedule", "0 3 * * *", "--tz", "Mars/Olympus")
        self.assertEqual([r.body for r in srv.requests], [b"", b""])
        self.assertEqual(len(res.lines()), 1, res)

    def test_the_local_zone_by_its_name(self):
        srv, res = self.start_body("--schedule", "0 3 * * *",
                                   env=self.sb.env(TZ="America/New_York"))
        self.assertEqual(json.loads(srv.requests[0].body)["monitor_config"].get("timezone"),
                         "America/New_York")


class Cronitor(VendorCase):
    """cronitor: run, complete and fail under /p/KEY/MONITOR with the run id
    as the series."""

    def cronitor(self, command, *extra, srv=None):
        srv = srv or self.server()
        res = self.hbrun(["--service", "cronitor", "--api-url", srv.base + "/p", "-t",
                          TOKEN, "--monitor", "nightly"] + FAST + list(extra), command)
        return srv, res

    def run_q(self, rid):
        return r"/p/%s/nightly\?state=run&series=%s&host=%s" % (TOKEN, rid, HOST)

    def fail_q(self, rid, status, message):
        return (r"/p/%s/nightly\?state=fail&series=%s&status_code=%d&duration=%s"
                r"&message=%s&host=%s" % (TOKEN, rid, status, SECS,
                                          re.escape(urllib.parse.quote(message, safe="")),
                                          HOST))

    def test_success(self):
        srv, res = self.cronitor(job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [
            ("POST", self.run_q(rid), b""),
            ("POST", r"/p/%s/nightly\?state=complete&series=%s&status_code=0&duration=%s"
             r"&host=%s" % (TOKEN, rid, SECS, HOST), b"")])

    def test_every_fail_ending(self):
        srv, res = self.cronitor(job(3))
        self.assertEqual(res.returncode, 3, res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [("POST", self.run_q(rid), b""),
                                 ("POST", self.fail_q(rid, 3, "exit status 3"), b"")])
        srv, res = self.cronitor(["sh", "-c", "kill -KILL $$"])
        self.assertEqual(res.returncode, -9, res)
        self.assertTargets(srv, [("POST", self.run_q(UUID4), b""), (
            "POST", self.fail_q(UUID4, 137, "killed by signal 9 (KILL)"), b"")])
        srv, res = self.cronitor(["sleep", "30"], "--timeout", "0.3", "--kill-after", "1")
        self.assertEqual(res.returncode, 124, res)
        self.assertTargets(srv, [("POST", self.run_q(UUID4), b""), (
            "POST", self.fail_q(UUID4, 124, "timed out after 0.3 s"), b"")])
        srv, res = self.cronitor(["/nonexistent/job"])
        self.assertEqual(res.returncode, 127, res)
        self.assertTargets(srv, [("POST", self.fail_q(UUID4, 127, "command not found"),
                                  b"")])
        path = self.sb.write_file("noexec", "#!/bin/sh\n", 0o644)
        srv, res = self.cronitor([path])
        self.assertEqual(res.returncode, 126, res)
        self.assertTargets(srv, [("POST", self.fail_q(UUID4, 126, "cannot execute"), b"")])

    def test_asked_to_stop(self):
        srv = self.server()
        p = start(["--service", "cronitor", "--api-url", srv.base + "/p", "-t", TOKEN,
                   "--monitor", "nightly"] + FAST +
                  ["--", "sh", "-c", "trap 'exit 0' TERM; echo up; "
                   "while :; do sleep 0.05; done"], self.sb.env())
        self.assertEqual(p.stdout.readline(), "up\n")
        self.assertTrue(srv.wait_requests(1, 10))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertTargets(srv, [("POST", self.run_q(UUID4), b""), (
            "POST", self.fail_q(UUID4, 143, "stopped by signal 15 (TERM)"), b"")])

    def test_retries_keep_the_series(self):
        srv = self.server(plan=[("status", 500, {}, b""), ("status", 200, {}, b""),
                                ("status", 500, {}, b""), ("status", 200, {}, b"")])
        rc, out, err = self.until_retried(srv, [
            "--service", "cronitor", "--api-url", srv.base + "/p", "-t", TOKEN, "--monitor",
            "nightly", "--ping-retries", "2", "--ping-deadline", "30"], 5)
        self.assertEqual((rc, err), (5, ""))
        series = {urllib.parse.parse_qs(r.target.split("?")[1])["series"][0]
                  for r in srv.requests}
        self.assertEqual(series, {out})
        self.assertEqual([urllib.parse.parse_qs(r.target.split("?")[1])["state"][0]
                          for r in srv.requests], ["run", "run", "fail", "fail"])

    def test_send_output_is_the_body(self):
        srv, res = self.cronitor(["sh", "-c", "echo one; echo two >&2; exit 2"],
                                 "--send-output", "8")
        self.assertEqual(res.returncode, 2, res)
        end = srv.requests[-1]
        self.assertEqual((end.body, end.headers.get("content-type")),
                         (b"one\ntwo\n"[-8:], "text/plain"))
        self.assertEqual(srv.requests[0].body, b"")

    def test_monitor_unusable(self):
        srv = self.server()
        for monitor in few(("", "..", ".")):
            srv2, res = self.cronitor(job(0), "--monitor", monitor, srv=srv)
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(len(res.lines()), 1, res)
        self.assertEqual(srv.requests, [])
        # escaped, never a path of its own
        srv, res = self.cronitor(job(0), "--monitor", "a b/c")
        self.assertEqual(res.returncode, 0, res)
        self.assertTrue(srv.requests[0].target.startswith("/p/%s/a%%20b%%2Fc?" % TOKEN),
                        srv.requests)


class Healthchecks(VendorCase):
    def hc(self, status, *extra, token=TOKEN):
        srv = self.server()
        res = self.hbrun(["--service", "healthchecks", "--api-url", srv.base + "/ping",
                          "-t", token] + FAST + list(extra), job(status))
        return srv, res

    def test_slug_token_keeps_its_slash(self):
        srv, res = self.hc(0, token="PK3x/db-backup")
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [("POST", r"/ping/PK3x/db-backup/start\?rid=" + rid, b""),
                                 ("POST", r"/ping/PK3x/db-backup\?rid=" + rid, b"")])
        srv, res = self.hc(6, token="PK 3/a b")
        self.assertTargets(srv, [("POST", r"/ping/PK%203/a%20b/start\?rid=" + UUID4, b""),
                                 ("POST", r"/ping/PK%203/a%20b/6\?rid=" + UUID4, b"")])
        for bad in few(("/slug", "PK/", "PK/a/b", "../x", "PK/..")):
            srv, res = self.hc(0, token=bad)
            self.assertEqual(res.returncode, 0, res)
            self.assertEqual(srv.requests, [], bad)
            self.assertIn("a token KEY/SLUG needs", res.stderr)

    def test_monitor_makes_slug_urls_with_create(self):
        srv, res = self.hc(0, "--monitor", "nightly")
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        rid = re.escape(res.stdout)
        self.assertTargets(srv, [
            ("POST", r"/ping/%s/nightly/start\?create=1&rid=%s" % (TOKEN, rid), b""),
            ("POST", r"/ping/%s/nightly\?create=1&rid=%s" % (TOKEN, rid), b"")])
        srv, res = self.hc(9, "--monitor", "nightly")
        self.assertTargets(srv, [
            ("POST", r"/ping/%s/nightly/start\?create=1&rid=%s" % (TOKEN, UUID4), b""),
            ("POST", r"/ping/%s/nightly/9\?create=1&rid=%s" % (TOKEN, UUID4), b"")])
        # a slug in the token and a monitor: which check is meant is a guess
        srv, res = self.hc(0, "--monitor", "nightly", token="PK/x")
        self.assertEqual(srv.requests, [])
        self.assertIn("names its check (KEY/SLUG) and a monitor is set", res.stderr)

    def test_the_job_name_alone_keeps_uuid_urls(self):
        srv = self.server()
        self.sb.write_config("[backup]\nservice = healthchecks\napi_url = %s/ping\n"
                             "token = %s\n" % (srv.base, TOKEN))
        res = self.hbrun(["-j", "backup"] + FAST, job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertTargets(srv, [("POST", r"/ping/%s/start\?rid=%s" % (TOKEN, UUID4), b""),
                                 ("POST", r"/ping/%s\?rid=%s" % (TOKEN, UUID4), b"")])

    def test_check_says_a_self_hosted_base_ends_in_ping(self):
        srv = self.server()
        res = self.hbrun(["--check", "--service", "healthchecks", "--api-url", srv.base,
                          "-t", TOKEN], ["true"])
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("problem: the healthchecks base %s has no path: a self-hosted "
                      "healthchecks takes pings under /ping" % srv.base, res.stdout)
        res = self.hbrun(["--check", "--service", "healthchecks", "--api-url",
                          srv.base + "/ping", "-t", TOKEN], ["true"])
        self.assertEqual(res.returncode, 0, res)
        self.assertNotIn("/ping (", res.stdout)
        self.assertEqual(srv.requests, [])


class Headers(VendorCase):
    SECRET = "Bearer Qm7TxW4kZr9PvN2s"

    def test_sent_with_every_request(self):
        srv = self.server()
        res = self.hbrun(["--header", "X-Auth: " + self.SECRET, "--header",
                          "X-Team:ops", "--start-url", srv.base + "/s", "--ping-url",
                          srv.base + "/p", "--send-output", "10"], ["echo", "hi"])
        self.assertEqual((res.returncode, res.stderr), (0, "hi\n"[:0]), res)
        for r in srv.requests:
            self.assertEqual((r.headers.get("x-auth"), r.headers.get("x-team")),
                             (self.SECRET, "ops"))
        self.assertEqual([r.target for r in srv.requests], ["/s", "/p"])
        self.assertEqual(srv.requests[1].headers["content-type"], "text/plain")

    def test_one_line_each_in_a_file_the_highest_level_decides(self):
        srv = self.server()
        self.sb.write_config("header = X-Global: g\n[j]\nheader = X-A: 1\n"
                             "header = X-B: 2\nping_url = %s/p\n" % srv.base)
        res = self.hbrun(["-j", "j"], ["true"])
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        h = srv.requests[0].headers
        self.assertEqual((h.get("x-a"), h.get("x-b"), h.get("x-global")), ("1", "2", None))
        res = self.hbrun(["-j", "j", "--header", "X-C: 3"], ["true"])
        h = srv.requests[1].headers
        self.assertEqual((h.get("x-a"), h.get("x-c")), (None, "3"))

    def test_unusable_headers_send_nothing(self):
        srv = self.server()
        bad = ["NoColon", "Bad Name: v", "X-A:", "X-A:   ", "X-A: a\r\nX-B: b",
               "X-A: a\nb", "X-A: a\x01", ": v", "X(A): v", "Content-Length: 3",
               "transfer-encoding: chunked", "Content-Type: text/html"]
        for h in few(bad):
            for status in few((0, 3)):
                res = self.hbrun(["--header", "X-Good: 1", "--header", h, "--start-url",
                                  srv.base + "/s", "--ping-url", srv.base + "/p",
                                  "--fail-url", srv.base + "/f"], job(status))
                self.assertEqual(res.returncode, status, res)
                self.assertEqual(res.lines(), [
                    "hbrun: --header takes 'Name: value' (a name of token characters, a "
                    "value without control characters); no request is sent"], h)
        res = self.hbrun(["--header", "", "--ping-url", srv.base + "/p"], job(0))
        self.assertIn("empty value for --header", res.stderr)
        self.assertEqual(srv.requests, [])

    def test_unusable_in_a_file_blocks_the_levels_below(self):
        srv = self.server()
        self.sb.write_config("header = X-Ok: 1\nping_url = %s/p\n[j]\nheader = broken\n"
                             % srv.base)
        res = self.hbrun(["-j", "j"], job(0))
        self.assertEqual(res.returncode, 0, res)
        self.assertRegex(res.stderr, r"hbrun: .*:4: 'header' is not a header 'Name: "
                         r"value' .*; no request is sent\n$")
        self.assertEqual(srv.requests, [])

    def test_redacted_in_check_and_messages(self):
        res = self.hbrun(["--check", "--header", "X-Auth: " + self.SECRET, "--ping-url",
                          "http://127.0.0.1:1/p"], ["true"])
        self.assertIn("header = X-Auth: Bear... (command line)", res.stdout)
        self.assertEqual(leaks(res.stdout, self.SECRET), [], res)
        res = self.hbrun(["-v", "--header", "X-Auth: " + self.SECRET, "--ping-url",
                          "http://127.0.0.1:1/p"] + FAST, job(0))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(leaks(res.stderr, self.SECRET), [], res)

    @unittest.skipIf(harness.UNDER_VALGRIND, "under valgrind /proc/PID/cmdline is "
                     "valgrind's")
    def test_scrubbed_from_argv(self):
        srv = self.server()
        res = self.hbrun(["--header", "X-Auth: " + self.SECRET, "--ping-url",
                          srv.base + "/p"],
                         ["sh", "-c", "tr '\\0' ' ' < /proc/$PPID/cmdline"])
        self.assertEqual(res.returncode, 0, res)
        self.assertNotIn(self.SECRET, res.stdout)
        self.assertEqual(leaks(res.stdout, self.SECRET), [], res)
        self.assertIn("--header", res.stdout)
        self.assertEqual(srv.requests[0].headers.get("x-auth"), self.SECRET)


class Cost(VendorCase):
    """{hostname}, {duration_s}, {max_rss_kb} and {cpu_ms}."""

    def fields(self, command, status=0):
        srv = self.server()
        tpl = (srv.base + "/{monitor}?h={hostname}&s={duration_s}&ms={duration_ms}"
               "&rss={max_rss_kb}&cpu={cpu_ms}")
        res = self.hbrun(["--monitor", "m", "--start-url", tpl, "--ping-url", tpl,
                          "--fail-url", tpl], command)
        self.assertEqual(res.returncode, status, res)
        self.assertEqual(len(srv.requests), 2, srv.requests)
        start_, end = [dict(urllib.parse.parse_qsl(r.target.split("?")[1],
                                                   keep_blank_values=True))
                       for r in srv.requests]
        self.assertEqual(start_, {"h": os.uname().nodename, "s": "", "ms": "", "rss": "",
                                  "cpu": ""})
        self.assertEqual(end["h"], os.uname().nodename)
        self.assertRegex(end["s"], "^" + SECS + "$")
        self.assertEqual(int(end["s"].replace(".", "")), int(end["ms"]))
        return end, res

    def test_what_the_job_used(self):
        # 64 MiB written, and a second of CPU time, as the job itself counts it
        burn = ("import time\nb = bytearray(64 << 20)\nfor i in range(0, len(b), 4096): "
                "b[i] = 1\nt = time.process_time()\n"
                "while time.process_time() - t < 1.0: pass\n"
                "print(int(time.process_time() * 1000))")
        end, res = self.fields(["python3", "-c", burn])
        self.assertGreaterEqual(int(end["rss"]), 64 * 1024)
        own_ms = int(res.stdout)
        self.assertGreaterEqual(int(end["cpu"]), own_ms - 10)
        self.assertLess(int(end["cpu"]), own_ms + 5000)

    def test_descendants_it_waited_for_count(self):
        burn = ("python3 -c 'b = bytearray(48 << 20)\nfor i in range(0, len(b), 4096): "
                "b[i] = 1'; exit 4")
        end, res = self.fields(["sh", "-c", burn], 4)
        self.assertGreaterEqual(int(end["rss"]), 48 * 1024)


if __name__ == "__main__":
    unittest.main()
