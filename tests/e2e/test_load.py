"""Load: 1,000 wrapped jobs, in bursts of 200 at once, against the fake API
with faults injected per job, as when a busy crontab fires.

Job i follows plan i % 20 (its token names it, so the server knows):
    0-11  exits 0; the ping is answered 200                   1 request
    12    exits 0; 503, then 200                              2 requests
    13    exits 0; 429 with Retry-After: 1, then 200          2 requests
    14-15 exits 0; 503 every time: fails after its retry      2 requests
    16-17 exits 0; the server takes the request, never answers 2 requests
    18-19 exits 3: no ping                                    0 requests
every hbrun with --ping-retries 1 --ping-timeout 2 --ping-deadline 5.

Checked, for every job: hbrun's exit status is the job's; the requests the
plan allows all arrived, and no others; none arrived later than the ping
deadline after the job ended (the job writes the time it ended); hbrun
itself ended by then -- both not counting the time hbrun spent on a CPU or
waiting for one: that is the machine's speed and load (under valgrind,
20-50 times the CPU; with many runs at once on 2 cores, seconds in the run
queue), not anything hbrun waited for.  The figures are printed on one
line, for the README.

Under valgrind (the 'valgrind' test setup) the same runs with 40 jobs in
bursts of 20, 6 s attempts and a 15 s deadline: memcheck is there for
hbrun's memory, not for the load, and its slowness would otherwise leave
no time for a Retry-After.
"""

import collections
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import scaled, start, upper  # noqa: E402
from fakeapi import FakeAPI  # noqa: E402
from servercase import ServerCase  # noqa: E402

if harness.UNDER_VALGRIND:
    JOBS, BURST, TIMEOUT, DEADLINE = 20, 10, 10.0, 20.0
else:
    JOBS, BURST, TIMEOUT, DEADLINE = 1000, 200, 2.0, 5.0
OPTS = ["--ping-retries", "1", "--ping-timeout", str(TIMEOUT),
        "--ping-deadline", str(DEADLINE)]
OK = ("status", 200, {}, b'{"status":"ok"}')
UNAVAILABLE = ("status", 503, {}, b'{"error":"busy"}')
TOKEN_PATH = re.compile(r"^/v1/heartbeats/load-(\d+)/ping$")
# The job: note when it ended (CLOCK_BOOTTIME, which /proc/uptime shows),
# with shell builtins only, then exit as planned.
JOB = 'read up rest < /proc/uptime; echo "$up" > "$0"; exit "$1"'


def kind(i):
    k = i % 20
    if k <= 11:
        return "ok"
    return {12: "503-once", 13: "429-once", 14: "503-always", 15: "503-always",
            16: "hang", 17: "hang", 18: "fails", 19: "fails"}[k]


EXPECTED = {"ok": 1, "503-once": 2, "429-once": 2, "503-always": 2, "hang": 2, "fails": 0}


def action(k, n):
    """What the server does with attempt N (0-based) of a job of kind K."""
    if k == "503-once":
        return UNAVAILABLE if n == 0 else OK
    if k == "429-once":
        return ("retry_after", 429, "1") if n == 0 else OK
    if k == "503-always":
        return UNAVAILABLE
    if k == "hang":
        return ("hang",)
    return OK


class PlannedAPI(FakeAPI):
    """A FakeAPI that answers each job as its plan says."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.attempts = collections.Counter()
        self.count_lock = threading.Lock()

    def _act(self, sock, req, _action):
        m = TOKEN_PATH.match(req.path)
        if not m:
            return super()._act(sock, req, ("status", 404, {}, b"{}"))
        with self.count_lock:
            n = self.attempts[req.path]
            self.attempts[req.path] += 1
        return super()._act(sock, req, action(kind(int(m.group(1))), n))


def boottime():
    return time.clock_gettime(time.CLOCK_BOOTTIME)


class Load(ServerCase):
    api_class = PlannedAPI
    max_requests = 10 * JOBS  # two a job at most by plan: this is a bound

    def setUp(self):
        super().setUp()
        os.mkdir(self.sb.path("ends"))

    def burst(self, srv, first, env, ended):
        """Start jobs FIRST.. FIRST+BURST-1 at once; wait for them all."""
        procs = {}
        done = {}
        busy = {}

        def wait(i, p):
            harness.wait_exited(p.pid)
            try:
                done[i] = harness.exit_clock().ended(p.pid)
                busy[i] = sum(harness.process_times(p.pid))
            except OSError:  # reaped by the clean-up below
                done[i], busy[i] = boottime(), 0.0
            p.wait()

        threads = []
        try:
            for i in range(first, first + BURST):
                k = kind(i)
                code = 3 if k == "fails" else 0
                p = start(["-q", "-t", "load-%04d" % i, "--api-url", srv.url] + OPTS
                          + ["--", "sh", "-c", JOB, ended(i), str(code)], env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
                harness.exit_clock().watch(p.pid)
                procs[i] = p
                t = threading.Thread(target=wait, args=(i, p), daemon=True)
                t.start()
                threads.append(t)
            for t in threads:
                t.join(scaled(120))
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.kill()
                    p.wait()
        return {i: (p.returncode, done.get(i), busy.get(i, 0.0)) for i, p in procs.items()}

    def test_thousand_jobs_in_bursts_with_faults(self):
        srv = self.server(backlog=1024)
        env = self.sb.env()
        ended = lambda i: self.sb.path("ends/%04d" % i)  # noqa: E731
        offset = boottime() - time.monotonic()  # request times are monotonic
        t0 = time.monotonic()
        results = {}
        for first in range(0, JOBS, BURST):
            results.update(self.burst(srv, first, env, ended))
        wall = time.monotonic() - t0

        by_token = collections.defaultdict(list)
        for r in srv.requests:
            m = TOKEN_PATH.match(r.path)
            self.assertIsNotNone(m, r.path)
            by_token[int(m.group(1))].append(r.time + offset)

        bad, late_ping, late_exit = [], [], []
        after_job, exits, idle, most_idle = [], collections.defaultdict(list), [], 0.0
        for i in range(JOBS):
            k = kind(i)
            rc, done, busy = results[i]
            want_rc = 3 if k == "fails" else 0
            with open(ended(i)) as f:
                job_end = float(f.read())
            reqs = by_token.get(i, [])
            if rc != want_rc or len(reqs) != EXPECTED[k] or done is None:
                bad.append((i, k, rc, len(reqs)))
                continue
            # /proc/uptime has hundredths: the job ended within 0.01 s after
            for t in reqs:
                after_job.append(t - job_end)
                # upper(): under valgrind, loading libcurl alone takes
                # seconds, and it comes before the ping's own clock starts.
                # BUSY (hbrun's whole time on or waiting for a CPU, so a
                # generous margin): the machine's speed and load, not a wait.
                if t - busy > job_end + 0.01 + upper(DEADLINE):
                    late_ping.append((i, k, t - job_end, busy))
            exits[k].append(done - job_end)
            # What hbrun waited for after its job: its time on a CPU or
            # waiting for one (all of its life: a generous margin) aside.
            waited = done - job_end - busy
            most_idle = max(most_idle, waited)
            if k == "ok":
                idle.append(waited)
            if waited > 0.01 + upper(DEADLINE + 1.0):
                late_exit.append((i, k, done - job_end, busy))

        self.assertEqual(bad, [], "wrong status or requests: (job, plan, exit, requests)")
        self.assertEqual(late_ping, [], "pings after the deadline: "
                         "(job, plan, s after the job, s on or waiting for a CPU)")
        self.assertEqual(late_exit, [], "hbrun outlived the deadline: "
                         "(job, plan, s after the job, s on or waiting for a CPU)")
        self.assertEqual(len(srv.requests), sum(EXPECTED[kind(i)] for i in range(JOBS)))

        def ms(xs, q):
            xs = sorted(xs)
            return 1000 * xs[min(len(xs) - 1, int(q * len(xs)))]

        ok = exits["ok"]
        print("load: %d jobs in bursts of %d in %.1f s: %d requests, all statuses right; "
              "hbrun ended after its job: ok p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
              "hung pings max %.2f s, failing fails max %.0f ms; latest request %.2f s "
              "after its job (deadline %.0f s); the time on or waiting for a CPU aside, "
              "hbrun ended at most %.2f s after its job"
              % (JOBS, BURST, wall, len(srv.requests), ms(ok, 0.5), ms(ok, 0.99),
                 1000 * max(ok), max(exits["hang"]), 1000 * max(exits["fails"]),
                 max(after_job), DEADLINE, most_idle), file=sys.stderr)
        # A successful ping keeps hbrun waiting well under a second (under
        # valgrind, loading libcurl alone takes seconds: the bound is scaled).
        self.assertLess(statistics.median(idle), scaled(upper(1.0)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
