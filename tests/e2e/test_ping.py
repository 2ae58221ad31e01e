"""End-to-end tests of the ping (SPEC sections 4 and 5) with the real hbrun.

Every server is a FakeAPI on 127.0.0.1 started and stopped by the test;
nothing leaves the machine.  Deadlines are small so that the whole file
runs in well under a minute.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_ping.py
"""

import email.utils
import os
import re
import select
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from fakeapi import PROXIED_NAME, FakeAPI, unused_port  # noqa: E402
import harness  # noqa: E402
from servercase import ServerCase  # noqa: E402
from harness import HBRUN, TIME_SLACK, Sandbox, run, run_timed, start, upper  # noqa: E402

TOKEN = "Zq7XkW9vPj3mNb5RtY2hLs4D"      # long and distinctive: easy to spot in output
ODD_TOKEN = "ab/cd+ef gh~ij_kl.mn-op%qr?s#t&u=v"
OK = ("status", 200, {}, b'{"status":"ok"}')
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)


def version():
    out = subprocess.run([HBRUN, "--version"], stdout=subprocess.PIPE, text=True,
                         timeout=10).stdout
    first = out.splitlines()[0]
    assert first.startswith("hbrun "), first
    return first.split()[1]


def status(code):
    return ("status", code, {}, b'{"error":"x"}' if code >= 300 else b'{"status":"ok"}')


def attempt_lines(res):
    return [l for l in res.lines() if re.match(r"hbrun: ping attempt \d+\b", l)]


def attempt_numbers(res):
    return [int(re.match(r"hbrun: ping attempt (\d+)", l).group(1))
            for l in attempt_lines(res)]


def failure_lines(res):
    return [l for l in res.lines() if " failed after " in l]


def leaks(text, secret, shown=4):
    """The substrings of SECRET longer than SHOWN characters found in TEXT."""
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})


def dfl_signals():
    # Whatever the test runner ignores, hbrun starts with the stop signals
    # at their defaults, as from a shell.
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_DFL)


class PingCase(ServerCase):

    def env(self, **extra):
        return self.sb.env(**extra)

    def hbrun(self, args, job=("true",), env=None, timeout=60):
        # Upper time bounds are on res.idle, what hbrun waited for itself:
        # a busy machine, or valgrind, cannot make it fail them.
        return run_timed(list(args) + ["--"] + list(job), env or self.env(),
                         timeout=timeout)

    def ping(self, srv, *opts, token=TOKEN, job=("true",), env=None, timeout=60):
        return self.hbrun(["-t", token, "--api-url", srv.url] + list(opts),
                          job=job, env=env, timeout=timeout)

    # ---- assertions --------------------------------------------------------

    def assertSilent(self, res):
        self.assertEqual((res.stdout, res.stderr), ("", ""), res)

    def assertFailedOnce(self, res, origin, attempts=None, reason=None):
        """Exactly one failure line, of the SPEC's shape, for ORIGIN."""
        fails = failure_lines(res)
        self.assertEqual(len(fails), 1, res)
        m = re.match(r"^hbrun: ping to (\S+) failed after (\d+) attempts?: (.+)$", fails[0])
        self.assertIsNotNone(m, fails[0])
        self.assertEqual(m.group(1), origin, fails[0])
        if attempts is not None:
            self.assertEqual(int(m.group(2)), attempts, fails[0])
        if reason is not None:
            self.assertRegex(m.group(3), reason)
        for line in res.lines():
            self.assertTrue(line.startswith("hbrun: "), res)
        return m

    def assertElapsed(self, res, low, high):
        self.assertGreaterEqual(res.elapsed, low, res)
        self.assertLessEqual(res.idle, upper(high), res)

    def assertNoConnection(self, srv, wait=0.3):
        self.assertFalse(srv.wait_connections(1, wait), "a connection was made")
        self.assertEqual(srv.requests, [])


class TestRequest(PingCase):
    def test_request_shape(self):
        srv = self.server()
        res = self.ping(srv, token=ODD_TOKEN)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 1)
        r = srv.requests[0]
        self.assertEqual(r.method, "POST")
        self.assertEqual(r.version, "HTTP/1.1")
        m = re.match(r"^/v1/heartbeats/([^/?#]+)/ping$", r.target)
        self.assertIsNotNone(m, r.target)
        seg = m.group(1)
        self.assertTrue(set(seg) <= UNRESERVED | {"%"}, "not escaped: %r" % seg)
        self.assertNotIn("+", seg)
        self.assertEqual(urllib.parse.unquote(seg), ODD_TOKEN)
        self.assertEqual(r.headers.get("content-length"), "0")
        self.assertNotIn("transfer-encoding", r.headers)
        self.assertEqual(r.headers.get("user-agent"), "hbrun/" + version())
        self.assertNotIn("authorization", r.headers)
        self.assertNotIn("proxy-authorization", r.headers)
        self.assertEqual(r.headers.get("host"), "127.0.0.1:%d" % srv.port)
        self.assertEqual(r.body, b"")
        self.assertEqual(srv.connections, 1)

    def test_plain_token_path(self):
        srv = self.server()
        res = self.ping(srv)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual([r.target for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN])

    def test_job_output_untouched_and_success_silent(self):
        srv = self.server()
        res = self.ping(srv, job=("sh", "-c", "echo out; echo err >&2"))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual((res.stdout, res.stderr), ("out\n", "err\n"))
        self.assertEqual(len(srv.requests), 1)

    def test_2xx_is_success_and_silent(self):
        for code in (200, 201, 202, 204):
            with self.subTest(code=code):
                body = b"" if code == 204 else b'{"status":"ok"}'
                srv = self.server([("status", code, {}, body)])
                res = self.ping(srv, "--ping-retries", "3", "--ping-deadline", "10")
                self.assertEqual(res.returncode, 0, res)
                self.assertSilent(res)
                self.assertEqual(len(srv.requests), 1)

    def test_ping_url_with_token(self):
        srv = self.server()
        url = srv.base + "/custom/{token}/hit?src=hbrun"
        res = self.hbrun(["-t", ODD_TOKEN, "--ping-url", url])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        (r,) = srv.requests
        self.assertEqual(r.method, "POST")
        m = re.match(r"^/custom/([^/?#]+)/hit\?src=hbrun$", r.target)
        self.assertIsNotNone(m, r.target)
        self.assertTrue(set(m.group(1)) <= UNRESERVED | {"%"}, m.group(1))
        self.assertEqual(urllib.parse.unquote(m.group(1)), ODD_TOKEN)
        self.assertEqual(r.headers.get("user-agent"), "hbrun/" + version())
        self.assertNotIn("authorization", r.headers)

    def test_ping_url_without_token_needs_none(self):
        srv = self.server()
        res = self.hbrun(["--ping-url", srv.base + "/hc/abc-123"])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual([r.target for r in srv.requests], ["/hc/abc-123"])

    def test_ping_url_without_placeholder_ignores_token(self):
        srv = self.server()
        res = self.hbrun(["-t", TOKEN, "--ping-url", srv.base + "/hc/fixed"])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        (r,) = srv.requests
        self.assertEqual(r.target, "/hc/fixed")
        self.assertNotIn(TOKEN.encode(), r.head)


class TestNoPing(PingCase):
    def test_no_ping_when_job_fails(self):
        srv = self.server()
        for job, rc in ((("false",), 1), (("sh", "-c", "exit 3"), 3),
                        (("sh", "-c", "exit 255"), 255)):
            with self.subTest(job=job):
                res = self.ping(srv, job=job)
                self.assertEqual(res.returncode, rc, res)
                self.assertSilent(res)
        self.assertNoConnection(srv)

    def test_no_ping_when_job_killed(self):
        srv = self.server()
        for sig in (signal.SIGKILL, signal.SIGTERM):
            with self.subTest(sig=sig):
                res = self.ping(srv, job=("sh", "-c", "kill -%d $$" % sig))
                self.assertEqual(res.returncode, -sig, res)
        self.assertNoConnection(srv)

    def test_no_ping_when_job_was_asked_to_stop(self):
        # The job catches TERM and exits 0: that is not a success.
        srv = self.server()
        p = start(["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c",
                   'trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done'],
                  self.env(), preexec_fn=dfl_signals)
        try:
            r, _, _ = select.select([p.stdout], [], [], 10)
            self.assertTrue(r, "the job did not start")
            self.assertEqual(p.stdout.readline(), "ready\n")
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertNoConnection(srv)


class TestStatuses(PingCase):
    FAST = ("--ping-timeout", "2", "--ping-deadline", "10")

    def test_transient_statuses_retried_then_success(self):
        for code in (408, 429, 500, 502, 503, 504):
            with self.subTest(code=code):
                srv = self.server([status(code), OK])
                res = self.ping(srv, *self.FAST)
                self.assertEqual(res.returncode, 0, res)
                self.assertSilent(res)
                reqs = srv.requests
                self.assertEqual(len(reqs), 2)
                # the first backoff wait is at most 1 s
                self.assertLess(reqs[1].time - reqs[0].time, 1.0 + 0.5)

    def test_transient_status_until_retries_exhausted(self):
        srv = self.server([status(503)])
        res = self.ping(srv, "--ping-retries", "2", *self.FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertFailedOnce(res, srv.base, attempts=3, reason=r"^HTTP 503\b")
        self.assertEqual(len(res.lines()), 1, res)
        reqs = srv.requests
        self.assertEqual(len(reqs), 3)
        # backoff ceilings: 1 s then 2 s (full jitter: anything below)
        self.assertLess(reqs[1].time - reqs[0].time, 1.0 + 0.5)
        self.assertLess(reqs[2].time - reqs[1].time, 2.0 + 0.5)
        # no sleep after the last try
        self.assertLess(res.idle, upper(3.0 + 1.5))

    def test_final_statuses_not_retried(self):
        for code in (400, 401, 403, 404, 405, 410, 422, 501):
            with self.subTest(code=code):
                srv = self.server([status(code), OK])
                res = self.ping(srv, *self.FAST)
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(len(srv.requests), 1)
                self.assertFailedOnce(res, srv.base, attempts=1,
                                      reason=r"^HTTP %d\b" % code)
                self.assertEqual(len(res.lines()), 1, res)
                self.assertLess(res.idle, upper(2.0), res)

    def test_404_says_token_wrong_or_deleted(self):
        srv = self.server([status(404)])
        res = self.ping(srv, *self.FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 1)
        m = self.assertFailedOnce(res, srv.base, attempts=1, reason=r"^HTTP 404\b")
        self.assertIn("token '%s" % TOKEN[:4], m.group(3))
        self.assertRegex(m.group(3), r"wrong")
        self.assertRegex(m.group(3), r"deleted")
        self.assertEqual(leaks(res.stderr, TOKEN), [])

    def test_redirect_not_followed(self):
        other = self.server()
        for code in (301, 302, 307, 308):
            with self.subTest(code=code):
                srv = self.server([("redirect", code, other.base + "/elsewhere"), OK])
                res = self.ping(srv, *self.FAST)
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(len(srv.requests), 1)
                self.assertFailedOnce(res, srv.base, attempts=1,
                                      reason=r"^HTTP %d\b" % code)
        self.assertNoConnection(other)

    def test_exit_status_is_the_jobs_whatever_the_ping(self):
        plans = {"404": [status(404)], "500": [status(500)], "garbage": [("garbage",)],
                 "empty": [("empty",)], "reset": [("reset",)], "big": [("big", 200000)]}
        for name, plan in plans.items():
            with self.subTest(plan=name):
                srv = self.server(plan)
                res = self.ping(srv, "--ping-retries", "1", *self.FAST,
                                job=("sh", "-c", "exit 0"))
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(res.stdout, "")
                self.assertLessEqual(len(failure_lines(res)), 1, res)


class TestTransferErrors(PingCase):
    FAST = ("--ping-timeout", "2", "--ping-deadline", "10")

    def test_connection_refused_retried(self):
        port = unused_port()
        url = "http://127.0.0.1:%d/v1" % port
        res = self.hbrun(["-v", "-t", TOKEN, "--api-url", url, "--ping-retries", "2",
                          *self.FAST])
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "")
        self.assertEqual(attempt_numbers(res), [1, 2, 3], res)
        self.assertFailedOnce(res, "http://127.0.0.1:%d" % port, attempts=3)
        self.assertLess(res.idle, upper(1.0 + 2.0 + 1.5), res)

    def test_refused_retries_fill_the_deadline(self):
        # Many retries allowed, the deadline is what ends it: waits are
        # shortened so that 1 s is left for an attempt, and hbrun stops
        # when less than that is left.
        port = unused_port()
        res = self.hbrun(["-v", "-t", TOKEN, "--api-url", "http://127.0.0.1:%d/v1" % port,
                          "--ping-retries", "50", "--ping-timeout", "1",
                          "--ping-deadline", "3"])
        self.assertEqual(res.returncode, 0, res)
        self.assertGreaterEqual(len(attempt_lines(res)), 3, res)
        self.assertFailedOnce(res, "http://127.0.0.1:%d" % port)
        self.assertElapsed(res, 1.9, 3.0 + 1.0)

    def test_reset_and_empty_retried(self):
        for plan in (("reset",), ("empty",), ("reset_mid",)):
            with self.subTest(plan=plan):
                srv = self.server([plan])
                res = self.ping(srv, "--ping-retries", "1", *self.FAST)
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(len(srv.requests), 2, res)
                self.assertFailedOnce(res, srv.base, attempts=2)

    def test_reset_then_success(self):
        srv = self.server([("reset",), ("empty",), OK])
        res = self.ping(srv, *self.FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 3)

    def test_hang_ends_by_deadline(self):
        srv = self.server([("hang",)])
        # Under valgrind, loading libcurl on a busy machine takes a second
        # or more of the deadline: the slack goes to the deadline there.
        deadline = 3.0 + TIME_SLACK
        res = self.ping(srv, "--ping-timeout", "1", "--ping-deadline", "%g" % deadline)
        self.assertEqual(res.returncode, 0, res)
        # attempt 1 times out at 1 s, a wait < 1 s, attempt 2 ends by the deadline
        self.assertElapsed(res, 1.9, deadline + 1.0)
        self.assertGreaterEqual(len(srv.requests), 2)
        self.assertFailedOnce(res, srv.base)

    def test_deadline_cuts_the_request_in_flight(self):
        cases = [("hang", 1.0, [("hang",)]),
                 ("hang", 2.0, [("hang",)]),
                 ("stall_mid", 1.2, [("stall_mid",)]),
                 ("drip", 1.2, [("drip", 0.3)]),
                 ("slow", 1.2, [("slow", 10, 200)])]
        for name, deadline, plan in cases:
            # Under valgrind, loading libcurl alone can take more than such
            # a deadline on a busy machine: the request would never be in
            # flight.  The slack goes to the deadline there.
            deadline += TIME_SLACK
            with self.subTest(plan=name, deadline=deadline):
                srv = self.server(plan)
                res = self.ping(srv, "--ping-timeout", "30",
                                "--ping-deadline", str(deadline))
                self.assertEqual(res.returncode, 0, res)
                self.assertElapsed(res, deadline - 0.1, deadline + 1.0)
                self.assertEqual(len(srv.requests), 1, res)
                self.assertFailedOnce(res, srv.base, attempts=1)

    def test_a_deadline_gone_before_the_first_attempt_is_said(self):
        # A descendant keeps the job's stdout open: hbrun waits for its end
        # of file as long as the deadline allows, which leaves no time for
        # an attempt.  That is one line (none with -q), and the whole tail
        # of the run stays within the deadline.
        job = ["sh", "-c", "sleep 5 & echo out"]
        for quiet in ([], ["-q"]):
            with self.subTest(quiet=quiet):
                srv = self.server()
                res = self.ping(srv, *quiet, "--send-output", "100", "--ping-deadline", "0.5",
                                job=job)
                self.assertEqual((res.returncode, res.stdout), (0, "out\n"), res)
                self.assertLessEqual(res.idle, upper(0.75), res)
                self.assertNoConnection(srv)
                if quiet:
                    self.assertEqual(res.stderr, "", res)
                    continue
                self.assertEqual(len(res.lines()), 1, res)
                self.assertRegex(res.stderr, r"^hbrun: ping to %s not sent: its deadline, "
                                 r"0\.5 s after the job's end, had passed before the "
                                 r"first attempt$" % re.escape(srv.base), res)

    def test_deadline_when_never_accepted(self):
        # connect() succeeds (the backlog takes it) but nothing answers
        srv = self.server(listen_only=True)
        res = self.ping(srv, "--ping-timeout", "30", "--ping-deadline", "1.5")
        self.assertEqual(res.returncode, 0, res)
        self.assertElapsed(res, 1.4, 1.5 + 1.0)
        self.assertFailedOnce(res, srv.base, attempts=1)

    def test_ping_retries_zero(self):
        srv = self.server([status(503)])
        res = self.ping(srv, "--ping-retries", "0", *self.FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 1)
        self.assertFailedOnce(res, srv.base, attempts=1, reason=r"^HTTP 503\b")
        self.assertLess(res.idle, upper(1.0), res)


class TestRetryAfter(PingCase):
    def test_retry_after_seconds_honoured(self):
        srv = self.server([("retry_after", 429, "2"), OK])
        res = self.ping(srv, "--ping-deadline", "10")
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        reqs = srv.requests
        self.assertEqual(len(reqs), 2)
        gap = reqs[1].time - reqs[0].time
        self.assertGreaterEqual(gap, 1.9)
        self.assertLessEqual(gap, 2.0 + 1.0)

    def test_retry_after_http_date_honoured(self):
        def in3s():
            return email.utils.formatdate(time.time() + 3, usegmt=True)
        srv = self.server([("retry_after", 503, in3s), OK])
        res = self.ping(srv, "--ping-deadline", "10")
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        reqs = srv.requests
        self.assertEqual(len(reqs), 2)
        gap = reqs[1].time - reqs[0].time
        # an HTTP date has whole seconds: 3 s from now is 2 to 3 s away
        self.assertGreaterEqual(gap, 1.5)
        self.assertLessEqual(gap, 3.0 + 1.0)

    def test_retry_after_beyond_deadline_stops_at_once(self):
        def in60s():
            return email.utils.formatdate(time.time() + 60, usegmt=True)
        for value in ("30", in60s):
            with self.subTest(value=value if isinstance(value, str) else "date+60s"):
                srv = self.server([("retry_after", 503, value), OK])
                res = self.ping(srv, "--ping-deadline", "5")
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(len(srv.requests), 1)
                self.assertLess(res.idle, upper(1.5), res)
                self.assertFailedOnce(res, srv.base, attempts=1, reason=r"^HTTP 503\b")

    def test_retry_after_must_leave_one_second(self):
        # 4 s of Retry-After in a 4.5 s deadline leaves < 1 s: stop at once
        srv = self.server([("retry_after", 429, "4"), OK])
        res = self.ping(srv, "--ping-deadline", "4.5")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 1)
        self.assertLess(res.idle, upper(1.5), res)
        self.assertFailedOnce(res, srv.base, attempts=1, reason=r"^HTTP 429\b")
        # 2 s in a 3.5 s deadline leaves 1.5 s: honoured.  The deadline
        # counts from the job's end, libcurl's loading included, which a
        # slow wrapper (valgrind) stretches: it gets the wrapper's slack.
        srv = self.server([("retry_after", 429, "2"), OK])
        res = self.ping(srv, "--ping-deadline", str(3.5 + TIME_SLACK))
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 2)
        self.assertElapsed(res, 1.9, 2.0 + 1.0)

    def test_default_retries_is_five(self):
        # Retry-After: 1 makes every wait 1 s: 6 attempts in about 5 s
        srv = self.server([("retry_after", 503, "1")])
        res = self.ping(srv, "--ping-deadline", "20")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 6)
        self.assertFailedOnce(res, srv.base, attempts=6, reason=r"^HTTP 503\b")
        self.assertElapsed(res, 4.9, 5.0 + 1.5)

    def test_no_wait_after_the_last_try(self):
        srv = self.server([("retry_after", 503, "2")])
        res = self.ping(srv, "--ping-retries", "0", "--ping-deadline", "10")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(srv.requests), 1)
        self.assertLess(res.idle, upper(1.0), res)
        srv2 = self.server([("retry_after", 503, "2")])
        res = self.ping(srv2, "--ping-retries", "1", "--ping-deadline", "10")
        self.assertEqual(len(srv2.requests), 2)
        self.assertElapsed(res, 1.9, 2.0 + 1.0)
        self.assertFailedOnce(res, srv2.base, attempts=2, reason=r"^HTTP 503\b")


class TestHttpPolicy(PingCase):
    """http:// only to hosts written as loopback, unless --allow-http.

    A proxy variable points at a FakeAPI: were hbrun to try a refused URL,
    curl would send it there, so "no connection" can be seen without any
    traffic leaving the machine."""

    REFUSED = ("http://example.invalid/v1", "http://10.0.0.1:8080/v1",
               "http://192.0.2.7/v1", "http://localhost.example/v1",
               "http://127.0.0.1.example/v1", "http://[::2]/v1",
               "http://notlocalhost/v1")

    def test_http_refused_for_non_loopback(self):
        proxy = self.server()
        env = self.env(http_proxy=proxy.base, HTTP_PROXY=proxy.base, all_proxy=proxy.base)
        for url in self.REFUSED:
            with self.subTest(url=url):
                res = self.hbrun(["-t", TOKEN, "--api-url", url], env=env, timeout=20)
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual(res.stdout, "")
                self.assertEqual(len(res.lines()), 1, res)
                self.assertTrue(res.lines()[0].startswith("hbrun: "), res)
                self.assertEqual(leaks(res.stderr, TOKEN), [])
                self.assertLess(res.idle, upper(2.0), res)
        self.assertNoConnection(proxy)

    def test_http_refused_for_ping_url(self):
        proxy = self.server()
        env = self.env(http_proxy=proxy.base)
        res = self.hbrun(["-t", TOKEN, "--ping-url", "http://example.invalid/p/{token}"],
                         env=env)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(res.lines()), 1, res)
        self.assertEqual(leaks(res.stderr, TOKEN), [])
        self.assertNoConnection(proxy)

    def test_http_refusal_quiet(self):
        proxy = self.server()
        res = self.hbrun(["-q", "-t", TOKEN, "--api-url", "http://example.invalid/v1"],
                         env=self.env(http_proxy=proxy.base))
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertNoConnection(proxy)

    def test_allow_http(self):
        proxy = self.server()
        res = self.hbrun(["--allow-http", "-t", TOKEN, "--api-url", "http://example.invalid/v1"],
                         env=self.env(http_proxy=proxy.base))
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual([r.target for r in proxy.requests],
                         ["http://example.invalid/v1/heartbeats/%s/ping" % TOKEN])

    def test_loopback_forms_allowed_and_never_proxied(self):
        # Plain http to a proxy would carry the token across the network:
        # a loopback URL goes straight to its host (port 9: refused).
        proxy = self.server()
        env = self.env(http_proxy=proxy.base)
        for host in ("127.0.0.1", "127.1.2.3", "127.255.255.254", "[::1]", "localhost"):
            with self.subTest(host=host):
                url = "http://%s:9/v1" % host
                res = self.hbrun(["-t", TOKEN, "--api-url", url, "--ping-retries", "0"],
                                 env=env)
                self.assertEqual(res.returncode, 0, res)
                self.assertIn("ping to http://", res.stderr)
                self.assertNotIn("refusing", res.stderr)
                self.assertEqual(proxy.requests, [])
        srv = self.server()
        res = self.hbrun(["-t", TOKEN, "--api-url", srv.url], env=env)
        self.assertSilent(res)
        self.assertEqual([r.target for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN])
        self.assertEqual(proxy.requests, [])


class TestProxy(PingCase):
    # A loopback URL never goes through a proxy: these name a host that
    # only the proxy knows (PROXIED_NAME), in plain http (--allow-http).
    def proxied_url(self, port):
        return "http://%s:%d/v1" % (PROXIED_NAME, port)

    def test_http_proxy_honoured(self):
        proxy = self.server()
        url = self.proxied_url(9)
        res = self.hbrun(["--allow-http", "-t", TOKEN, "--api-url", url],
                         env=self.env(http_proxy=proxy.base))
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual([r.target for r in proxy.requests],
                         ["%s/heartbeats/%s/ping" % (url, TOKEN)])
        self.assertEqual(proxy.requests[0].method, "POST")

    def test_no_proxy_goes_direct(self):
        api = self.server()
        proxy = self.server()
        res = self.ping(api, env=self.env(http_proxy=proxy.base, no_proxy="127.0.0.1"))
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(api.requests), 1)
        self.assertNoConnection(proxy, wait=0)

    def test_proxy_failure_is_a_ping_failure(self):
        res = self.hbrun(["--allow-http", "-t", TOKEN, "--api-url", self.proxied_url(9),
                          "--ping-retries", "1", "--ping-deadline", "5"],
                         env=self.env(http_proxy="http://127.0.0.1:%d" % unused_port()))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(failure_lines(res)), 1, res)


class TestMessages(PingCase):
    def test_quiet_silences_failure(self):
        for plan in ([status(404)], [status(503)]):
            with self.subTest(plan=plan[0][1]):
                srv = self.server(plan)
                res = self.ping(srv, "-q", "--ping-retries", "1", "--ping-deadline", "5")
                self.assertEqual(res.returncode, 0, res)
                self.assertSilent(res)
                self.assertGreaterEqual(len(srv.requests), 1)
        res = self.hbrun(["-q", "-t", TOKEN, "--api-url",
                          "http://127.0.0.1:%d/v1" % unused_port(), "--ping-retries", "1"])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)

    def test_verbose_line_per_attempt(self):
        srv = self.server([status(503), status(502), OK])
        res = self.ping(srv, "-v", "--ping-deadline", "10")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "")
        self.assertEqual(len(srv.requests), 3)
        self.assertEqual(attempt_numbers(res), [1, 2, 3], res)
        self.assertEqual(failure_lines(res), [], res)
        for line in res.lines():
            self.assertTrue(line.startswith("hbrun: "), res)

    def test_verbose_failure(self):
        srv = self.server([status(404)])
        res = self.ping(srv, "-v")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(attempt_numbers(res), [1], res)
        self.assertFailedOnce(res, srv.base, attempts=1, reason=r"^HTTP 404\b")

    def test_token_never_shown(self):
        port = unused_port()
        runs = {
            "404 -v": lambda s: self.ping(s, "-v", "--ping-deadline", "5"),
            "503 -v": lambda s: self.ping(s, "-v", "--ping-retries", "1",
                                          "--ping-deadline", "5"),
            "ping-url 404 -v": lambda s: self.hbrun(
                ["-v", "-t", TOKEN, "--ping-url", s.base + "/p/{token}/x"]),
            "refused -v": lambda s: self.hbrun(
                ["-v", "-t", TOKEN, "--api-url", "http://127.0.0.1:%d/v1" % port,
                 "--ping-retries", "1"]),
            "ping-url refused -v": lambda s: self.hbrun(
                ["-v", "-t", TOKEN, "--ping-retries", "0",
                 "--ping-url", "http://127.0.0.1:%d/p/{token}" % port]),
            "ping-url with token in path": lambda s: self.hbrun(
                ["-v", "--ping-retries", "0", "--ping-url",
                 "http://127.0.0.1:%d/p/%s" % (port, TOKEN)]),
            "http refused -v": lambda s: self.hbrun(
                ["-v", "-t", TOKEN, "--ping-url", "http://example.invalid/p/{token}"]),
        }
        for name, go in runs.items():
            with self.subTest(run=name):
                srv = self.server([status(404)] if "404" in name else [status(503)])
                res = go(srv)
                self.assertEqual(res.returncode, 0, res)
                self.assertGreaterEqual(len(res.lines()), 1, res)
                self.assertEqual(leaks(res.stderr + res.stdout, TOKEN), [], res)

    def test_url_shown_as_origin_only(self):
        srv = self.server([status(404)])
        res = self.hbrun(["-v", "--ping-url", srv.base + "/secret-path/xyz?q=1"])
        self.assertEqual(res.returncode, 0, res)
        self.assertNotIn("secret-path", res.stderr)
        self.assertNotIn("q=1", res.stderr)
        self.assertFailedOnce(res, srv.base, attempts=1)

    @unittest.skipIf(harness.UNDER_VALGRIND, "under valgrind /proc/PID/cmdline is "
                     "valgrind's own copy of the argv, which hbrun cannot overwrite")
    def test_token_overwritten_in_argv(self):
        srv = self.server()
        p = start(["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c",
                   'echo ready; read x'], self.env(), stdin=subprocess.PIPE)
        try:
            r, _, _ = select.select([p.stdout], [], [], 10)
            self.assertTrue(r, "the job did not start")
            self.assertEqual(p.stdout.readline(), "ready\n")
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                cmdline = f.read().decode("latin-1")
            out, err = p.communicate(input="\n", timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("--api-url", cmdline)
        self.assertEqual(leaks(cmdline, TOKEN), [], cmdline)
        self.assertEqual(len(srv.requests), 1)
        self.assertIn(TOKEN, srv.requests[0].target)

    def test_job_arguments_keep_the_token(self):
        # only hbrun's own copy is overwritten, never the job's words
        srv = self.server()
        res = self.ping(srv, job=("printf", "%s\\n", TOKEN, "-t"))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, TOKEN + "\n-t\n")
        self.assertEqual(res.stderr, "")


class TestStopSignal(PingCase):
    def _stop_during(self, plan, sig, opts=(), after=0.0):
        srv = self.server(plan)
        p = start(["-t", TOKEN, "--api-url", srv.url, "--ping-timeout", "30",
                   "--ping-deadline", "30"] + list(opts) + ["--", "true"],
                  self.env(), preexec_fn=dfl_signals)
        try:
            self.assertTrue(srv.wait_requests(1, 10), "no ping arrived")
            time.sleep(after)
            t = time.monotonic()
            p.send_signal(sig)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.fail("hbrun did not end within 5 s of %s" % signal.Signals(sig).name)
            took = time.monotonic() - t
            out, err = p.communicate(timeout=5)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertLessEqual(took, 1.0, "%.2f s after the signal" % took)
        self.assertEqual(out, "")
        return srv

    def test_stop_signal_during_request(self):
        for sig in STOP_SIGNALS:
            with self.subTest(sig=signal.Signals(sig).name):
                srv = self._stop_during([("hang",)], sig, after=0.2)
                self.assertEqual(len(srv.requests), 1)

    def test_stop_signal_during_backoff_wait(self):
        srv = self._stop_during([("retry_after", 503, "20"), OK], signal.SIGTERM, after=0.3)
        time.sleep(0.2)
        self.assertEqual(len(srv.requests), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
