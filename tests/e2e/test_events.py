"""End-to-end tests of the start, success and fail requests, URL templates
and service presets (hbrun(1), EVENTS AND SERVICES) against the local fake
API: every request's method, path and query asserted exactly.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_events.py
"""

import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from fakeapi import FakeAPI, unused_port  # noqa: E402
from servercase import ServerCase  # noqa: E402
import harness  # noqa: E402
from harness import leaks  # noqa: E402
from jobs import run_id_job as job  # noqa: E402
from harness import run, start, upper  # noqa: E402
from jobs import SignalJob, wait_for  # noqa: E402

TOKEN = "Zq7XkW9vPj3mNb5RtY2hLs4D"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
FAST = ["--ping-retries", "0", "--ping-deadline", "5"]


class EventCase(ServerCase):
    def hbrun(self, args, command, **kw):
        return run(list(args) + ["--"] + list(command), self.sb.env(), **kw)

    def one(self, srv):
        self.assertEqual(len(srv.requests), 1, srv.requests)
        return srv.requests[0]

    def assertRequest(self, r, method, target, body=b""):
        self.assertEqual((r.method, r.target), (method, target))
        self.assertEqual(r.body, body)


class Presets(EventCase):
    """Each service's requests, against the fake standing in as its server."""

    def service(self, name, status, *extra):
        srv = self.server()
        res = self.hbrun(["--service", name, "--api-url", srv.base + "/base/",
                          "-t", TOKEN] + FAST + list(extra), job(status))
        self.assertEqual(res.returncode, status, res)
        self.assertEqual(res.stderr, "", res)
        self.assertRegex(res.stdout, UUID4)
        return srv, res.stdout

    def test_tickstem_is_the_default_and_unchanged(self):
        for args in ([], ["--service", "tickstem"]):
            srv = self.server()
            res = self.hbrun(["--api-url", srv.url, "-t", TOKEN] + args, job(0))
            self.assertEqual(res.returncode, 0, res)
            self.assertRequest(self.one(srv), "POST",
                               "/v1/heartbeats/%s/ping" % TOKEN)
            # no fail request: tickstem has none
            srv = self.server()
            res = self.hbrun(["--api-url", srv.url, "-t", TOKEN] + args, job(3))
            self.assertEqual(res.returncode, 3, res)
            self.assertEqual(srv.requests, [])

    def test_healthchecks(self):
        srv, rid = self.service("healthchecks", 0)
        self.assertEqual([(r.method, r.target) for r in srv.requests], [
            ("POST", "/base/%s/start?rid=%s" % (TOKEN, rid)),
            ("POST", "/base/%s?rid=%s" % (TOKEN, rid))])
        srv, rid = self.service("healthchecks", 3)
        self.assertEqual([(r.method, r.target) for r in srv.requests], [
            ("POST", "/base/%s/start?rid=%s" % (TOKEN, rid)),
            ("POST", "/base/%s/3?rid=%s" % (TOKEN, rid))])

    def test_betterstack(self):
        srv, _ = self.service("betterstack", 0)
        self.assertRequest(self.one(srv), "POST", "/base/%s" % TOKEN)
        srv, _ = self.service("betterstack", 42)
        self.assertRequest(self.one(srv), "POST", "/base/%s/42" % TOKEN)

    def test_uptime_kuma(self):
        srv, _ = self.service("uptime-kuma", 0)
        r = self.one(srv)
        m = re.match(r"^/base/api/push/%s\?status=up&msg=OK&ping=(\d+)$" % TOKEN, r.target)
        self.assertIsNotNone(m, r.target)
        self.assertEqual(r.method, "GET")
        srv, _ = self.service("uptime-kuma", 5)
        r = self.one(srv)
        m = re.match(r"^/base/api/push/%s\?status=down&msg=exit%%20status%%205&ping=(\d+)$"
                     % TOKEN, r.target)
        self.assertIsNotNone(m, r.target)
        self.assertEqual(r.method, "GET")

    def test_uptime_kuma_duration_is_milliseconds(self):
        srv = self.server()
        res = self.hbrun(["--service", "uptime-kuma", "--api-url", srv.base, "-t", TOKEN],
                         ["sleep", "0.3"])
        self.assertEqual(res.returncode, 0, res)
        ms = int(urllib.parse.parse_qs(self.one(srv).target.split("?")[1])["ping"][0])
        self.assertGreaterEqual(ms, 250)  # milliseconds, a slewed clock allowed for
        self.assertLess(ms, res.elapsed * 1000 + 1)

    def test_uptime_kuma_needs_api_url(self):
        res = self.hbrun(["--service", "uptime-kuma", "-t", TOKEN], job(0))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.lines(), ["hbrun: service uptime-kuma needs api_url "
                                       "(its server's address); no ping sent"])

    def test_deadmanssnitch(self):
        srv, _ = self.service("deadmanssnitch", 0)
        self.assertRequest(self.one(srv), "POST", "/base/%s?s=0" % TOKEN)
        srv, _ = self.service("deadmanssnitch", 1)
        self.assertRequest(self.one(srv), "POST",
                           "/base/%s?s=1&m=exit%%20status%%201" % TOKEN)

    def test_method_get_for_every_request(self):
        srv, rid = self.service("healthchecks", 0, "--method", "GET")
        self.assertEqual([r.method for r in srv.requests], ["GET", "GET"])
        self.assertEqual(srv.requests[0].headers.get("content-length"), None)

    def test_global_api_url_is_not_the_base_of_a_sections_service(self):
        # The request for hc-ping.com goes through a CONNECT proxy here on
        # 127.0.0.1, which says where it was headed and ends it.
        proxy = self.server(plan=[("status", 403, {}, b"")])
        global_api = self.server()
        self.sb.write_config("api_url = %s\n[backup]\nservice = healthchecks\n"
                             "token = %s\n" % (global_api.url, TOKEN))
        env = self.sb.env(https_proxy=proxy.url, no_proxy="")
        res = run(["-j", "backup"] + FAST + ["--", "true"], env)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(global_api.requests, [])
        self.assertEqual([(r.method, r.target) for r in proxy.requests][-1],
                         ("CONNECT", "hc-ping.com:443"))


class Templates(EventCase):
    def test_every_field(self):
        srv = self.server()
        tpl = (srv.base + "/{token}/{{x}/?rid={run_id}&st={exit_status}&ms={duration_ms}"
               "&m={message}")
        res = self.hbrun(["-t", "a b/c", "--ping-url", tpl, "--fail-url", tpl,
                          "--start-url", tpl], job(7))
        self.assertEqual(res.returncode, 7, res)
        rid = res.stdout
        start, fail = srv.requests
        self.assertEqual(start.target, "/a%%20b%%2Fc/{x}/?rid=%s&st=&ms=&m=started" % rid)
        m = re.match(r"^/a%%20b%%2Fc/\{x\}/\?rid=%s&st=7&ms=(\d+)&m=exit%%20status%%207$"
                     % rid, fail.target)
        self.assertIsNotNone(m, fail.target)

    def test_no_token_needed_without_the_field(self):
        srv = self.server()
        res = self.hbrun(["--ping-url", srv.base + "/hook?id=1"], job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertRequest(self.one(srv), "POST", "/hook?id=1")

    def test_unknown_field_makes_that_template_unusable(self):
        srv = self.server()
        res = self.hbrun(["-t", TOKEN, "--fail-url", srv.base + "/f/{exit_code}",
                          "--ping-url", srv.base + "/ok"], job(3))
        self.assertEqual(res.returncode, 3, res)
        self.assertEqual(srv.requests, [])
        self.assertEqual(res.lines(), ["hbrun: fail request URL has an unknown field "
                                       "'{exit_code}' (a literal brace is written '{{'); "
                                       "none sent"])
        # the other events' templates still work
        res = self.hbrun(["-t", TOKEN, "--fail-url", srv.base + "/f/{exit_code}",
                          "--ping-url", srv.base + "/ok"], job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertRequest(self.one(srv), "POST", "/ok")

    def test_unknown_service_or_method_sends_nothing(self):
        srv = self.server()
        for opt, word in (("--service", "healthcheck"), ("--method", "PUT")):
            for status in (0, 4):
                res = self.hbrun([opt, word, "-t", TOKEN, "--api-url", srv.url,
                                  "--ping-url", srv.base + "/ok",
                                  "--fail-url", srv.base + "/f"], job(status))
                self.assertEqual(res.returncode, status, res)
                self.assertEqual(len(res.lines()), 1, res)
                # the value is not repeated: it may be a credential
                self.assertIn("unknown %s for %s" % (opt[2:], opt), res.stderr)
                self.assertNotIn(word, res.stderr)
        self.assertEqual(srv.requests, [])

    def test_a_long_unknown_service_or_method_blocks_it(self):
        # Left to the global part, the section's service would send its
        # token to the global service's server.
        srv = self.server()
        for key, glob in (("service", "service = betterstack\napi_url = %s/g\n" % srv.base),
                          ("method", "method = GET\nping_url = %s/p/{token}\n" % srv.base)):
            self.sb.write_config("%s[a]\ntoken = %s\n%s = %s\n"
                                 % (glob, TOKEN, key, "P" * 300))
            res = run(["-j", "a"] + FAST + ["--"] + job(0), self.sb.env())
            self.assertEqual(res.returncode, 0, res)
            self.assertIn(":5: unknown %s 'PPP" % key, res.stderr)
            self.assertEqual(srv.requests, [], key)

    def test_a_literal_brace_in_a_query(self):
        srv = self.server()
        res = self.hbrun(["--ping-url", srv.base + "/ok?x=1&y={{z}"], job(0))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(srv.requests[0].target, "/ok?x=1&y={z}")

    @unittest.skipIf(harness.UNDER_VALGRIND, "under valgrind /proc/PID/cmdline is "
                     "valgrind's")
    def test_urls_are_scrubbed_from_argv(self):
        srv = self.server()
        urls = [srv.base + "/s/" + TOKEN, srv.base + "/p/" + TOKEN, srv.base + "/f/" + TOKEN]
        res = self.hbrun(["--start-url", urls[0], "--ping-url", urls[1],
                          "--fail-url", urls[2]],
                         ["sh", "-c", "tr '\\0' ' ' < /proc/$PPID/cmdline"])
        self.assertEqual(res.returncode, 0, res)
        self.assertNotIn(TOKEN, res.stdout)
        self.assertIn("--start-url", res.stdout)
        self.assertEqual([r.target for r in srv.requests],
                         ["/s/" + TOKEN, "/p/" + TOKEN])

    def test_token_in_the_host_is_redacted(self):
        res = self.hbrun(["-v", "-t", TOKEN, "--fail-url", "http://{token}:1/x"], job(1))
        self.assertEqual(res.returncode, 1, res)
        self.assertEqual(leaks(res.stderr, TOKEN), [], res)
        self.assertIn("http://Zq7X...:1", res.stderr)

    def test_template_shown_as_origin_only(self):
        port = unused_port()
        res = self.hbrun(["--ping-retries", "0", "--fail-url",
                          "http://127.0.0.1:%d/secret-path?key=secret-query" % port], job(2))
        self.assertEqual(res.returncode, 2, res)
        self.assertNotIn("secret", res.stderr)
        self.assertIn("fail request to http://127.0.0.1:%d failed" % port, res.stderr)


class Endings(EventCase):
    """Which request each ending sends, and what it says."""

    def run_fail(self, command, *extra, **kw):
        srv = self.server()
        tpl = srv.base + "/{exit_status}?m={message}"
        res = self.hbrun(["--ping-url", srv.base + "/ok", "--fail-url", tpl] + list(extra),
                         command, **kw)
        return srv, res

    def fail_target(self, srv):
        r = self.one(srv)
        path, _, query = r.target.partition("?")
        return path, urllib.parse.unquote(query)

    def test_not_found_and_not_executable(self):
        srv, res = self.run_fail(["/nonexistent/cmd"])
        self.assertEqual(res.returncode, 127, res)
        self.assertEqual(self.fail_target(srv), ("/127", "m=command not found"))
        path = self.sb.write_file("noexec", "#!/bin/sh\n", 0o644)
        srv, res = self.run_fail([path])
        self.assertEqual(res.returncode, 126, res)
        self.assertEqual(self.fail_target(srv), ("/126", "m=cannot execute"))

    def test_killed_by_a_signal(self):
        srv, res = self.run_fail(["sh", "-c", "kill -KILL $$"])
        self.assertEqual(res.returncode, -9, res)
        self.assertEqual(self.fail_target(srv), ("/137", "m=killed by signal 9 (KILL)"))

    def test_asked_to_stop_never_says_0(self):
        srv = self.server()
        tpl = srv.base + "/{exit_status}?m={message}"
        # The job takes the TERM and exits 0 all the same.
        p = start(["--ping-url", srv.base + "/ok", "--fail-url", tpl, "--",
                   "sh", "-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done"],
                  self.sb.env())
        self.assertEqual(p.stdout.readline(), "up\n")
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.fail_target(srv), ("/143", "m=stopped by signal 15 (TERM)"))

    def test_success_sends_only_the_ping(self):
        srv, res = self.run_fail(["true"])
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(self.one(srv).target, "/ok")


FORWARDED = [signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH,
             signal.SIGCONT, signal.SIGALRM]


class StartRequest(EventCase):
    """The start request while the job runs."""

    def test_signals_forwarded_while_it_hangs(self):
        srv = self.server(plan=[("hang",)])
        job = SignalJob(self.sb, FORWARDED)
        p = start(["--start-url", srv.base + "/start", "--ping-deadline", "30", "--",
                   *job.argv], self.sb.env(), start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.assertTrue(job.wait_ready(), "the job did not start")
        self.assertTrue(srv.wait_requests(1, 10), "no start request")
        for sig in FORWARDED:
            os.kill(p.pid, sig)
            self.assertTrue(job.wait_count(sig), "%s did not reach the job" % sig)
        time.sleep(0.3)
        job.stop()
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual({s: job.counts().get(int(s)) for s in FORWARDED},
                         {s: 1 for s in FORWARDED})

    def test_a_job_that_ends_first_gives_it_one_second(self):
        srv = self.server(plan=[("hang",), ("status", 200, {}, b"OK")])
        t0 = time.monotonic()
        res = self.hbrun(["--start-url", srv.base + "/start", "--ping-url", srv.base + "/ok",
                          "--ping-deadline", "30"], ["true"])
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual([r.target for r in srv.requests], ["/start", "/ok"])
        # the end request only after that second
        self.assertGreaterEqual(srv.requests[1].time - t0, 0.9)
        self.assertLess(res.elapsed, upper(6))
        self.assertEqual(res.lines(), ["hbrun: start request to %s abandoned: the job "
                                       "ended before it was done" % srv.base])

    def test_retried_while_the_job_runs(self):
        srv = self.server(plan=[("status", 503, {}, b""), ("status", 200, {}, b"OK")])
        res = self.hbrun(["--start-url", srv.base + "/start", "--ping-url", srv.base + "/ok"],
                         ["sleep", "2.5"])
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual([r.target for r in srv.requests], ["/start", "/start", "/ok"])

    def test_retried_even_with_other_work_during_the_wait(self):
        # Output and signals wake the wait loop during the backoff: the
        # retry still comes.
        srv = self.server(plan=[("status", 503, {}, b""), ("status", 200, {}, b"OK")])
        p = start(["--start-url", srv.base + "/start", "--ping-url", srv.base + "/ok",
                   "--send-output", "100", "--",
                   "sh", "-c", "for i in $(seq 60); do echo $i; sleep 0.05; done"],
                  self.sb.env())
        for _ in range(10):
            time.sleep(0.1)
            p.send_signal(signal.SIGWINCH)
        out, err = p.communicate(timeout=30)
        self.assertEqual((p.returncode, err), (0, ""))
        self.assertEqual([r.target for r in srv.requests], ["/start", "/start", "/ok"])

    def test_its_failure_affects_nothing(self):
        srv = self.server(plan=[("status", 404, {}, b"")])
        res = self.hbrun(["--start-url", srv.base + "/start", "-t", TOKEN,
                          "--fail-url", srv.base + "/fail"], job(6))
        self.assertEqual(res.returncode, 6, res)
        self.assertEqual([r.target for r in srv.requests], ["/start", "/fail"])
        self.assertIn("start request to %s failed after 1 attempt: HTTP 404" % srv.base,
                      res.stderr)

    def test_not_sent_for_a_command_that_cannot_run(self):
        srv = self.server()
        res = self.hbrun(["--start-url", srv.base + "/start", "--fail-url", srv.base + "/f"],
                         ["/nonexistent/cmd"])
        self.assertEqual(res.returncode, 127, res)
        self.assertEqual([r.target for r in srv.requests], ["/f"])

    def test_stop_signal_during_it(self):
        srv = self.server(plan=[("hang",), ("status", 200, {}, b"OK")])
        p = start(["--start-url", srv.base + "/start", "--fail-url",
                   srv.base + "/{exit_status}", "--ping-deadline", "30", "--",
                   "sh", "-c", "echo up; exec sleep 30"], self.sb.env(), start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.assertEqual(p.stdout.readline(), "up\n")
        self.assertTrue(srv.wait_requests(1, 10))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, -signal.SIGTERM, err)
        self.assertEqual([r.target for r in srv.requests], ["/start", "/143"])

    def test_libcurl_is_loaded_once_the_job_runs(self):
        srv = self.server()
        for args, loaded in (([], False), (["--start-url", srv.base + "/s"], True)):
            p = start(["--ping-url", srv.base + "/ok"] + args + [
                "--", "sh", "-c", "echo up; read x"], self.sb.env(), stdin=subprocess.PIPE)
            self.assertEqual(p.stdout.readline(), "up\n")
            if loaded:  # after the first run's ping, the start request
                self.assertTrue(srv.wait_requests(2, 10))
            with open("/proc/%d/maps" % p.pid) as f:
                maps = f.read()
            p.communicate("x\n", timeout=30)
            self.assertEqual("libcurl" in maps, loaded)
            self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
