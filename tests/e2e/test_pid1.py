"""hbrun as PID 1 of a PID namespace (a container's command): orphans are
reaped, a SIGTERM from outside reaches the job, the job's signal becomes
128+S, and hbrun ends as soon as the job does.

Needs root (or CAP_SYS_ADMIN) and util-linux unshare.  SPEC section 3.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, start  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from jobs import SignalJob, wait_child, wait_for  # noqa: E402
from namespaces import PID_NS, can_unshare  # noqa: E402
from servercase import ServerCase  # noqa: E402

NOWHERE = "http://127.0.0.1:%d/v1" % unused_port()
UNSHARE = PID_NS


@unittest.skipUnless(can_unshare("--pid"), "cannot make a PID namespace here (needs root and unshare)")
class Pid1(ServerCase):
    def run1(self, args, **kw):
        return run(args, self.sb.env(), prefix=UNSHARE, **kw)

    def test_hbrun_is_pid1(self):
        res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c", 'echo "$PPID"'])
        self.assertEqual((res.returncode, res.stdout), (0, "1\n"), res)

    def test_exit_status_passes(self):
        for n in (0, 1, 7, 125, 126, 127, 255):
            res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c", "exit %d" % n])
            self.assertEqual(res.returncode, n, res)

    def test_job_killed_by_signal_is_128_plus_s(self):
        for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT, signal.SIGSEGV,
                    signal.SIGABRT, signal.SIGUSR1):
            with self.subTest(sig=sig.name):
                res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                                 "kill -%d $$" % sig], cwd=self.sb.dir)
                self.assertEqual(res.returncode, 128 + sig, res)

    @unittest.skipUnless(shutil.which("ps"), "no ps")
    def test_orphans_are_reaped(self):
        # Each (sleep &) leaves an orphan that is reparented to PID 1 and
        # exits 0.1-0.3 s later; at 1.5 s none may be left a zombie.
        script = ("(sleep 0.1 &); (sleep 0.1 &); (sleep 0.2 &); (sh -c 'exit 9' &); "
                  "(sleep 0.3 &); sleep 1.5; ps -eo pid=,stat=,comm=")
        res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c", script])
        self.assertEqual(res.returncode, 0, res)
        procs = [line.split() for line in res.stdout.splitlines() if line.strip()]
        self.assertTrue(any(p[0] == "1" for p in procs), res.stdout)  # ps saw the namespace
        zombies = [p for p in procs if p[1].startswith("Z")]
        self.assertEqual(zombies, [], res.stdout)

    def test_orphans_do_not_change_the_exit_status(self):
        script = "(sh -c 'exit 9' &); (sh -c 'kill -TERM $$' &); sleep 0.5; exit 3"
        res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c", script])
        self.assertEqual(res.returncode, 3, res)

    def test_exits_as_soon_as_the_job_does(self):
        script = "sleep 30 </dev/null >/dev/null 2>&1 & (sleep 30 </dev/null >/dev/null 2>&1 &); exit 4"
        res = self.run1(["-q", "--api-url", NOWHERE, "--", "sh", "-c", script], timeout=25)
        self.assertEqual(res.returncode, 4, res)
        self.assertLess(res.elapsed, 5, res)

    def hbrun_pid(self, p):
        """hbrun's pid outside the namespace: unshare's child."""
        pid = wait_child(p.pid, comm=harness.COMM)
        self.assertIsNotNone(pid, "no hbrun under unshare")
        return pid

    def test_sigterm_from_outside_reaches_the_job(self):
        job = SignalJob(self.sb, [signal.SIGTERM, signal.SIGUSR1])
        p = start(["-q", "--api-url", NOWHERE, "--"] + job.argv, self.sb.env(), prefix=UNSHARE)
        try:
            self.assertTrue(job.wait_ready(), "the job did not start")
            hb = self.hbrun_pid(p)
            os.kill(hb, signal.SIGUSR1)
            self.assertTrue(job.wait_count(signal.SIGUSR1), "USR1 did not reach the job")
            os.kill(hb, signal.SIGTERM)
            self.assertTrue(job.wait_count(signal.SIGTERM), "TERM did not reach the job")
            time.sleep(0.3)
            self.assertEqual(job.counts(), {signal.SIGUSR1: 1, signal.SIGTERM: 1})
        finally:
            job.stop()
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)

    def test_sigterm_from_outside_kills_a_default_job(self):
        ready = self.sb.path("ready")
        p = start(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                   'touch "$1"; exec sleep 30', "job", ready], self.sb.env(), prefix=UNSHARE)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(ready), 10))
            hb = self.hbrun_pid(p)
            time.sleep(0.1)
            t0 = time.monotonic()
            os.kill(hb, signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, err)
        self.assertLess(time.monotonic() - t0, 5)

    def test_ping_as_pid1(self):
        srv = self.server()
        res = self.run1(["-t", "pid1-token", "--api-url", srv.url, "--", "true"])
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""), res)
        self.assertEqual([r.path for r in srv.requests], ["/v1/heartbeats/pid1-token/ping"])

    def test_no_ping_after_sigterm_as_pid1(self):
        job = SignalJob(self.sb, [signal.SIGTERM])
        srv = self.server()
        p = start(["-t", "pid1-stop", "--api-url", srv.url, "--"] + job.argv,
                  self.sb.env(), prefix=UNSHARE)
        try:
            self.assertTrue(job.wait_ready())
            os.kill(self.hbrun_pid(p), signal.SIGTERM)
            self.assertTrue(job.wait_count(signal.SIGTERM))
        finally:
            job.stop()
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        time.sleep(0.1)
        self.assertEqual(srv.requests, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
