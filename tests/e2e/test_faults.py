"""The network fault matrix, against the local fake API: for each fault the
job's exit status, the number of requests that reached the server and the
time hbrun took, all three asserted.

test_ping.py, test_tls.py and test_dns.py already hold most faults; this file
adds what they leave out: the exact request count for a server that accepts
and never answers and for one never accepting, a byte a second, the time
bound of a reset mid-reply, an empty reply and garbage, a 10 MB reply with
hbrun's memory measured, redirects to http:// timed, and Retry-After in the
past.  (Expired, wrong-host and self-signed certificates: test_tls.py; a
Retry-After beyond the deadline: test_ping.py; a resolver that never
answers: test_dns.py.)

SPEC section 4; the README's decisions (Retry-After in the past means the
normal backoff; a reply that is not HTTP at all is not retried).
"""

import email.utils
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from fakeapi import FakeAPI  # noqa: E402
from servercase import ServerCase  # noqa: E402
from harness import TIME_SLACK, Result, Sandbox, command, run, upper  # noqa: E402

TOKEN = "Fm4tRx8qWz2nKc6vLp9sJd3H"
OK = ("status", 200, {}, b'{"status":"ok"}')
JOB_OK = ("sh", "-c", "exit 0")


def failure(res):
    """(attempts, reason) of the one failure line, or None."""
    lines = [l for l in res.lines() if " failed after " in l]
    if len(lines) != 1:
        return None
    m = re.match(r"^hbrun: ping to \S+ failed after (\d+) attempts?: (.+)$", lines[0])
    return (int(m.group(1)), m.group(2)) if m else None


def run_measured(args, env, timeout=120):
    """Run hbrun; a Result with .maxrss_kb, hbrun's peak resident memory
    (from wait4: the job, `true`, is far smaller)."""
    with open(os.devnull, "w") as out, \
            subprocess.Popen(command(args), env=env, stdout=out,
                             stderr=subprocess.PIPE, text=True) as p:
        start = time.monotonic()
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        res = Result(p.returncode, "", err, time.monotonic() - start)
    res.maxrss_kb = usage.ru_maxrss
    return res


# Two 1 s attempts within the deadline.  The deadline counts from the
# job's end, libcurl's loading included, which a slow wrapper (valgrind)
# stretches by seconds: there it gets that slack, and the retries are
# capped, so that two attempts are made on a slow machine as on a fast one.
TWO_ATTEMPTS = ("--ping-timeout", "1", "--ping-retries", "1",
                "--ping-deadline", str(2.5 + TIME_SLACK))


class Matrix(ServerCase):

    def ping(self, srv, *opts, job=JOB_OK):
        return run(["-t", TOKEN, "--api-url", srv.url] + list(opts) + ["--"] + list(job),
                   self.sb.env(), timeout=120)

    def check(self, res, srv, requests, low, high, attempts=None, reason=None):
        """The job's 0, REQUESTS requests, LOW <= time <= HIGH (plus the
        slack of a slow wrapper), and one failure line (unless ATTEMPTS is
        0: success, silent)."""
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "", res)
        self.assertEqual(len(srv.requests), requests, res)
        self.assertGreaterEqual(res.elapsed, low, res)
        self.assertLessEqual(res.elapsed, upper(high), res)
        if attempts == 0:
            self.assertEqual(res.stderr, "", res)
            return
        got = failure(res)
        self.assertIsNotNone(got, res)
        self.assertEqual(len(res.lines()), 1, res)
        if attempts is not None:
            self.assertEqual(got[0], attempts, res)
        if reason is not None:
            self.assertRegex(got[1], reason, res)

    # ---- servers that say nothing -----------------------------------------

    def test_never_accepted(self):
        # The kernel completes the handshake (backlog), nobody ever reads:
        # no request is seen, each attempt times out, the deadline ends it.
        # 1 s attempts in 2.5 s: attempt 1 to 1 s, a wait of at most 0.5 s,
        # attempt 2 to at most 2.5 s, then less than 1 s is left.
        srv = self.server(listen_only=True)
        res = self.ping(srv, *TWO_ATTEMPTS)
        self.check(res, srv, 0, 1.9, 2.5 + 0.6, attempts=2, reason=r"(?i)timed? ?out")

    def test_accepts_and_never_answers(self):
        srv = self.server([("hang",)])
        res = self.ping(srv, *TWO_ATTEMPTS)
        self.check(res, srv, 2, 1.9, 2.5 + 0.6, attempts=2, reason=r"(?i)timed? ?out")

    def test_stalls_mid_reply(self):
        srv = self.server([("stall_mid",)])
        res = self.ping(srv, *TWO_ATTEMPTS)
        self.check(res, srv, 2, 1.9, 2.5 + 0.6, attempts=2, reason=r"(?i)timed? ?out")

    def test_drips_a_byte_a_second(self):
        # Each byte comes well within any read timeout: only the limit of
        # the whole attempt (2 s) ends it.  2 s attempts in 4.5 s: two.
        srv = self.server([("drip", 1.0)])
        res = self.ping(srv, "--ping-timeout", "2", "--ping-deadline", "4.5")
        self.check(res, srv, 2, 3.9, 4.5 + 0.6, attempts=2, reason=r"(?i)timed? ?out")

    # ---- servers that end the exchange badly ------------------------------

    def test_reset_mid_reply_is_retried(self):
        # Three attempts; waits below 1 s then 2 s.
        srv = self.server([("reset_mid",)])
        res = self.ping(srv, "--ping-retries", "2", "--ping-timeout", "2",
                        "--ping-deadline", "10")
        self.check(res, srv, 3, 0.0, 3.0 + 1.0, attempts=3)

    def test_empty_reply_is_retried(self):
        srv = self.server([("empty",)])
        res = self.ping(srv, "--ping-retries", "2", "--ping-timeout", "2",
                        "--ping-deadline", "10")
        self.check(res, srv, 3, 0.0, 3.0 + 1.0, attempts=3, reason=r"(?i)empty|nothing")

    def test_reset_then_empty_then_success(self):
        srv = self.server([("reset_mid",), ("empty",), OK])
        res = self.ping(srv, "--ping-timeout", "2", "--ping-deadline", "10")
        self.check(res, srv, 3, 0.0, 3.0 + 1.0, attempts=0)

    def test_garbage_is_final(self):
        # Not HTTP at all: something else listens there; no retry.
        srv = self.server([("garbage",), OK])
        res = self.ping(srv, "--ping-retries", "5", "--ping-deadline", "10")
        self.check(res, srv, 1, 0.0, 1.0, attempts=1)

    # ---- replies that are HTTP, but not what was hoped ----------------------

    def test_ten_megabyte_reply_memory_stays_bounded(self):
        # hbrun keeps at most 64 KB of a reply: its peak memory with a 10 MB
        # body is within a few MB of its peak with a 15-byte one.
        small = self.server([OK])
        base = run_measured(["-t", TOKEN, "--api-url", small.url, "--", "true"],
                            self.sb.env())
        self.assertEqual((base.returncode, base.stderr), (0, ""), base)
        big = self.server([("big", 10 * 1024 * 1024)])
        res = run_measured(["-t", TOKEN, "--api-url", big.url, "--", "true"],
                           self.sb.env())
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(big.requests), 1)
        self.assertLessEqual(res.elapsed, upper(5.0), res)
        grown = res.maxrss_kb - base.maxrss_kb
        print("10 MB reply: peak RSS %d kB, %d kB with a 15-byte reply (+%d kB)"
              % (res.maxrss_kb, base.maxrss_kb, grown), file=sys.stderr)
        self.assertLess(grown, 4 * 1024, "memory grew with the reply: %d kB" % grown)

    def test_redirect_to_http_not_followed(self):
        # 301 and 302 to plain http: one request, no second connection, a
        # final failure at once.
        other = self.server()
        for code in (301, 302):
            with self.subTest(code=code):
                srv = self.server([("redirect", code, other.base + "/v1/heartbeats/x/ping"),
                                   OK])
                res = self.ping(srv, "--ping-deadline", "10")
                self.check(res, srv, 1, 0.0, 1.0, attempts=1, reason=r"^HTTP %d\b" % code)
        self.assertFalse(other.wait_connections(1, 0.3))

    def test_retry_after_in_the_past_means_the_normal_backoff(self):
        past = email.utils.formatdate(time.time() - 3600, usegmt=True)
        for value in ("0", past):
            with self.subTest(value=value):
                srv = self.server([("retry_after", 503, value), OK])
                res = self.ping(srv, "--ping-deadline", "10")
                self.check(res, srv, 2, 0.0, 1.0 + 1.0, attempts=0)
                reqs = srv.requests
                # the first backoff: uniform below 1 s, not an hour, nor 0
                # taken as "stop"
                self.assertLess(reqs[1].time - reqs[0].time, 1.0 + 0.3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
