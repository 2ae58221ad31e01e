"""Process faults: hbrun's stderr a closed pipe, a job that closes its
stdout, a job that ignores SIGTERM, a storm of signals, grandchildren left
running.  In each the job's status comes back, the ping is sent when (and
only when) it should be, and hbrun neither hangs nor ends early.

SPEC sections 3 and 5.  (Closed 0-2 at start, Ctrl-C, PID 1 reaping and a
child left behind by a failing job: test_exec.py, test_signals.py and
test_pid1.py.)
"""

import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import scaled, start, upper  # noqa: E402
from jobs import PYTHON, SignalJob, proc_status, wait_for  # noqa: E402
from servercase import ServerCase  # noqa: E402

TOKEN = "Pq8fault-Zx3Vb7Nm2Kd5Wt"
OK = ("status", 200, {}, b'{"status":"ok"}')


def default_signals():
    """As from a shell: the stop signals and SIGPIPE at their defaults,
    whatever the test runner ignores."""
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)


def ignore_sigpipe():
    default_signals()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def alive(pid):
    st = proc_status(pid).get("State", "")
    return bool(st) and not st.startswith("Z")


class Case(ServerCase):
    def reap(self, p):
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))


class ClosedStderr(Case):
    """hbrun's stderr is a pipe nobody reads any more: its messages are
    lost, but neither the job's status nor the ping are."""

    def run_closed_stderr(self, args, preexec=default_signals):
        r, w = os.pipe()
        os.close(r)  # every write to w now fails with EPIPE (and SIGPIPE)
        t0 = time.monotonic()
        try:
            p = subprocess.run(harness.command(args), env=self.sb.env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=w, preexec_fn=preexec, timeout=scaled(60),
                               text=True)
        finally:
            os.close(w)
        return p.returncode, p.stdout, time.monotonic() - t0

    def test_job_status_comes_back(self):
        # The config warning goes to the closed pipe before the job runs.
        conf = self.sb.write_config("bogus_key = 1\n")
        for preexec in (default_signals, ignore_sigpipe):
            for code in (0, 3, 255):
                with self.subTest(sigpipe=preexec.__name__, code=code):
                    srv = self.server()
                    rc, out, took = self.run_closed_stderr(
                        ["-v", "-c", conf, "-t", TOKEN, "--api-url", srv.url, "--",
                         "sh", "-c", "echo out; exit %d" % code], preexec)
                    self.assertEqual((rc, out), (code, "out\n"))
                    self.assertEqual(len(srv.requests), 1 if code == 0 else 0)
                    self.assertLess(took, upper(5.0))

    def test_failed_ping_message_into_the_closed_pipe(self):
        # Every attempt line (-v) and the failure line go nowhere; hbrun
        # still makes its attempts and ends with the job's 0.
        for preexec in (default_signals, ignore_sigpipe):
            with self.subTest(sigpipe=preexec.__name__):
                srv = self.server([("status", 503, {}, b"{}")])
                rc, out, took = self.run_closed_stderr(
                    ["-v", "-t", TOKEN, "--api-url", srv.url, "--ping-retries", "1",
                     "--ping-deadline", "5", "--", "true"], preexec)
                self.assertEqual((rc, out), (0, ""))
                self.assertEqual(len(srv.requests), 2)
                self.assertLess(took, upper(1.0 + 2.0))

    def test_job_that_did_not_run_still_says_so_in_the_status(self):
        # The 125 and 127 lines cannot be read; the statuses still tell.
        for args, code in ((["--bogus", "true"], 125),
                           (["-q", "--", "/nonexistent/job"], 127)):
            with self.subTest(args=args):
                rc, out, _ = self.run_closed_stderr(args)
                self.assertEqual((rc, out), (code, ""))

    def test_job_killed_by_a_signal(self):
        srv = self.server()
        rc, _, _ = self.run_closed_stderr(
            ["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c", "kill -TERM $$"])
        self.assertEqual(rc, -signal.SIGTERM)
        self.assertEqual(srv.requests, [])


class JobClosesStdout(Case):
    def test_job_closes_its_stdout_and_stderr(self):
        # The job shuts its copies; hbrun's stay open, so its own failure
        # line still arrives, and the job's 0 and its ping too.
        srv = self.server([("status", 404, {}, b"{}")])
        p = start(["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c",
                   "echo before; exec >&- 2>&-; sleep 0.3; exit 0"],
                  self.sb.env(), stdin=subprocess.DEVNULL)
        self.reap(p)
        out, err = p.communicate(timeout=scaled(30))
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, "before\n")
        self.assertEqual(len(srv.requests), 1)
        self.assertRegex(err, r"^hbrun: ping to \S+ failed after 1 attempt: HTTP 404\b")

    def test_job_exits_while_its_stdout_reader_is_gone(self):
        # The job writes into hbrun's stdout, a pipe whose reader went
        # away: the job dies of SIGPIPE, and hbrun of the same signal.
        srv = self.server()
        r, w = os.pipe()
        os.close(r)
        try:
            p = subprocess.run(
                harness.command(["-t", TOKEN, "--api-url", srv.url, "--",
                                 "sh", "-c", "echo x; exit 0"]),
                env=self.sb.env(), stdout=w, stderr=subprocess.PIPE,
                preexec_fn=default_signals, timeout=scaled(30))
        finally:
            os.close(w)
        self.assertEqual(p.returncode, -signal.SIGPIPE, p.stderr)
        self.assertEqual(srv.requests, [])


class JobIgnoresTerm(Case):
    """SIGTERM reaches the job, which ignores it: hbrun neither kills the
    job nor leaves without it, and ends as soon as the job does."""

    def test_waits_for_the_job_then_ends_at_once(self):
        srv = self.server()
        ready, done = self.sb.path("ready"), self.sb.path("done")
        job = ("import signal, sys, time\n"
               "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
               "open(sys.argv[1], 'w').close()\n"
               "time.sleep(2.0)\n"
               "with open(sys.argv[2], 'w') as f: f.write(repr(time.monotonic()))\n")
        p = start(["-t", TOKEN, "--api-url", srv.url, "--", PYTHON, "-c", job, ready, done],
                  self.sb.env(), stdin=subprocess.DEVNULL, preexec_fn=default_signals)
        self.reap(p)
        self.assertTrue(wait_for(lambda: os.path.exists(ready), scaled(10)))
        for _ in range(3):  # each forwarded; each ignored
            p.send_signal(signal.SIGTERM)
            time.sleep(0.2)
        self.assertIsNone(p.poll(), "hbrun left before its job")
        out, err = p.communicate(timeout=scaled(30))
        ended = time.monotonic()
        with open(done) as f:
            job_end = float(f.read())
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(err, "")
        # asked to stop: no ping, though the job exited 0
        self.assertFalse(srv.wait_connections(1, 0.3))
        self.assertLess(ended - job_end, upper(1.0), "hbrun lingered after its job")


class SignalStorm(Case):
    """Thousands of signals while the job runs: hbrun forwards them all,
    loses none that the kernel queues (real-time signals), adds none, and
    afterwards the job's 0 and its ping are as if nothing had happened."""

    RT = signal.SIGRTMIN + 2
    COALESCING = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGALRM,
                  signal.SIGCONT)

    def test_storm(self):
        srv = self.server()
        job = SignalJob(self.sb, list(self.COALESCING) + [self.RT])
        p = start(["-t", TOKEN, "--api-url", srv.url, "--"] + job.argv, self.sb.env(),
                  start_new_session=True, stdin=subprocess.DEVNULL)
        self.reap(p)
        self.assertTrue(job.wait_ready(scaled(10)), "the job did not start")
        sent = {int(s): 0 for s in list(self.COALESCING) + [self.RT]}
        t0 = time.monotonic()
        for i in range(2000):
            for sig in (self.RT, self.COALESCING[i % len(self.COALESCING)]):
                try:
                    os.kill(p.pid, sig)
                    sent[int(sig)] += 1
                except OSError:  # the real-time queue is full: not sent
                    pass
        storm = time.monotonic() - t0
        rt = int(self.RT)
        self.assertTrue(job.wait_count(rt, sent[rt], timeout=scaled(20)),
                        "%d of %d real-time signals reached the job"
                        % (job.counts().get(rt, 0), sent[rt]))
        time.sleep(0.3)  # a duplicate would have come by now
        self.assertIsNone(p.poll(), "hbrun ended in the storm")
        job.stop()
        out, err = p.communicate(timeout=scaled(30))
        counts = job.counts()
        print("storm: %d signals in %.2f s; the job counted %s"
              % (sum(sent.values()), storm, counts), file=sys.stderr)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(counts.get(rt), sent[rt])
        for sig in self.COALESCING:
            self.assertGreaterEqual(counts.get(int(sig), 0), 1, signal.Signals(sig).name)
            self.assertLessEqual(counts.get(int(sig), 0), sent[int(sig)])
        self.assertTrue(srv.wait_requests(1, scaled(5)))
        self.assertEqual(len(srv.requests), 1)


class Grandchildren(Case):
    """The job starts a child of its own and exits: hbrun ends with the job,
    pings, and leaves the grandchild alone."""

    def test_grandchild_left_running_with_hbruns_pipes(self):
        srv = self.server()
        pidfile = self.sb.path("grandchild")
        # The grandchild keeps hbrun's stdout and stderr open: whoever waits
        # for EOF on them waits 30 s; hbrun's exit status does not.
        p = start(["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c",
                   'sleep 30 & echo $! > "$0"; exit 0', pidfile],
                  self.sb.env(), stdin=subprocess.DEVNULL)
        self.reap(p)
        t0 = time.monotonic()
        rc = p.wait(timeout=scaled(20))
        took = time.monotonic() - t0
        with open(pidfile) as f:
            grandchild = int(f.read())
        self.addCleanup(lambda: alive(grandchild) and os.kill(grandchild, signal.SIGKILL))
        self.assertEqual(rc, 0)
        self.assertLess(took, upper(2.0))
        self.assertEqual(len(srv.requests), 1)
        self.assertTrue(alive(grandchild), "hbrun killed the job's child")
        os.kill(grandchild, signal.SIGKILL)
        p.communicate(timeout=scaled(10))

    def test_failing_job_with_grandchildren(self):
        srv = self.server()
        res = harness.run(["-t", TOKEN, "--api-url", srv.url, "--", "sh", "-c",
                           "sleep 5 </dev/null >/dev/null 2>&1 & "
                           "sleep 5 </dev/null >/dev/null 2>&1 & exit 4"],
                          self.sb.env(), timeout=scaled(30))
        self.assertEqual(res.returncode, 4, res)
        self.assertLess(res.elapsed, upper(2.0), res)
        self.assertEqual(srv.requests, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
