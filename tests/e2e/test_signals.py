"""hbrun and signals: forwarding each exactly once, those not forwarded,
Ctrl-C on a terminal, the inherited mask and ignored signals, "asked to
stop" (no ping), death by the job's signal without a core.

SPEC section 3.
"""

import os
import pty
import resource
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, start  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from jobs import PYTHON, SignalJob, wait_for, proc_status, sig_mask  # noqa: E402
from jobs import children as children_of  # noqa: E402
from servercase import ServerCase  # noqa: E402

NOWHERE = "http://127.0.0.1:%d/v1" % unused_port()

RTSIG = signal.SIGRTMIN + 3

FORWARDED = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGWINCH, signal.SIGCONT, signal.SIGALRM, RTSIG]
NOT_FORWARDED = [signal.SIGCHLD, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU]
STOPS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT]

SETTLE = 0.3  # seconds a duplicate would have had to arrive


def name(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "SIGRTMIN+%d" % (sig - signal.SIGRTMIN)


class Forwarding(ServerCase):
    def start_job(self, job, args=(), **kw):
        # Its own session: hbrun's process group is orphaned, so a stop
        # signal at its default action cannot freeze the test.
        p = start(list(args) + ["--"] + job.argv, self.sb.env(), start_new_session=True,
                  stdin=subprocess.DEVNULL, **kw)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.assertTrue(job.wait_ready(), "the job did not start")
        return p

    def finish(self, p, job, timeout=30):
        job.stop()
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def test_each_signal_forwarded_exactly_once(self):
        job = SignalJob(self.sb, FORWARDED + NOT_FORWARDED)
        p = self.start_job(job, ["-q", "--api-url", NOWHERE])
        for sig in FORWARDED:
            os.kill(p.pid, sig)
            self.assertTrue(job.wait_count(sig), "%s did not reach the job" % name(sig))
            time.sleep(0.05)
        time.sleep(SETTLE)
        self.assertIsNone(p.poll(), "hbrun ended")
        rc, out, err = self.finish(p, job)
        counts = job.counts()
        got = {name(s): counts.get(int(s), 0) for s in FORWARDED + NOT_FORWARDED}
        want = {name(s): 1 for s in FORWARDED}
        want.update({name(s): 0 for s in NOT_FORWARDED})
        self.assertEqual(got, want)
        self.assertEqual(rc, 0, err)

    def test_not_forwarded(self):
        job = SignalJob(self.sb, NOT_FORWARDED + [signal.SIGUSR1])
        p = self.start_job(job, ["-q", "--api-url", NOWHERE])
        for sig in NOT_FORWARDED:
            os.kill(p.pid, sig)
            time.sleep(0.1)
        # A forwarded signal after them, as a marker that hbrun is still
        # working and has handled what came before.
        os.kill(p.pid, signal.SIGUSR1)
        self.assertTrue(job.wait_count(signal.SIGUSR1))
        time.sleep(SETTLE)
        self.assertIsNone(p.poll(), "hbrun ended")
        self.assertNotEqual(proc_status(p.pid).get("State", "")[:1], "T", "hbrun stopped itself")
        rc, out, err = self.finish(p, job)
        counts = job.counts()
        self.assertEqual({name(s): counts.get(int(s), 0) for s in NOT_FORWARDED},
                         {name(s): 0 for s in NOT_FORWARDED})
        self.assertEqual(counts.get(int(signal.SIGUSR1)), 1)
        self.assertEqual(rc, 0, err)

    def test_burst_of_different_signals(self):
        # Sent back to back, without waiting: each distinct one still arrives once.
        sigs = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGALRM, RTSIG]
        job = SignalJob(self.sb, sigs)
        p = self.start_job(job, ["-q", "--api-url", NOWHERE])
        for sig in sigs:
            os.kill(p.pid, sig)
        for sig in sigs:
            self.assertTrue(job.wait_count(sig), name(sig))
        time.sleep(SETTLE)
        rc, out, err = self.finish(p, job)
        counts = job.counts()
        self.assertEqual({name(s): counts.get(int(s), 0) for s in sigs},
                         {name(s): 1 for s in sigs})
        self.assertEqual(rc, 0, err)


class CtrlC(ServerCase):
    """^C on the terminal: the job gets one SIGINT, not two, and no ping."""

    def test_ctrl_c_reaches_the_job_once(self):
        job = SignalJob(self.sb, [signal.SIGINT, signal.SIGQUIT, signal.SIGCONT])
        srv = self.server()
        args = harness.command(["-t", "ctrlc-token", "--api-url", srv.url, "--"] + job.argv)
        env = self.sb.env()
        pid, master = pty.fork()
        if pid == 0:  # the child: session leader on the pty, in its foreground
            try:
                os.execve(args[0], args, env)
            finally:
                os._exit(127)
        output = bytearray()
        status = None
        try:
            os.set_blocking(master, False)

            def drain():
                try:
                    output.extend(os.read(master, 4096))
                except (BlockingIOError, OSError):
                    pass
                return os.path.exists(job.ready)

            self.assertTrue(wait_for(drain, 10), "the job did not start: %r" % bytes(output))
            # ^C with hbrun stopped: the job takes the terminal's SIGINT
            # first, so that a second one forwarded by hbrun once it runs
            # again could not merge with it and go unseen.
            os.kill(pid, signal.SIGSTOP)
            self.assertTrue(wait_for(lambda: proc_status(pid).get("State", "")[:1] == "T", 5))
            os.write(master, b"\x03")  # VINTR: SIGINT to the foreground group
            self.assertTrue(job.wait_count(signal.SIGINT), "no SIGINT reached the job")
            os.kill(pid, signal.SIGCONT)
            self.assertTrue(job.wait_count(signal.SIGCONT), "SIGCONT not forwarded")
            time.sleep(SETTLE)
            # And ^\ with hbrun running.
            os.write(master, b"\x1c")  # VQUIT
            self.assertTrue(job.wait_count(signal.SIGQUIT), "no SIGQUIT reached the job")
            time.sleep(SETTLE)
            job.stop()
            end = time.monotonic() + 30
            while time.monotonic() < end:
                drain()
                wpid, st = os.waitpid(pid, os.WNOHANG)
                if wpid == pid:
                    status = st
                    break
                time.sleep(0.01)
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(master)
        self.assertIsNotNone(status, "hbrun did not end")
        counts = job.counts()
        self.assertEqual(counts.get(int(signal.SIGINT)), 1, counts)
        self.assertEqual(counts.get(int(signal.SIGQUIT)), 1, counts)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, bytes(output))
        # Asked to stop by the terminal: no ping, though the job exited 0.
        time.sleep(0.2)
        self.assertEqual(srv.requests, [])


class Inheritance(ServerCase):
    """Blocked mask and ignored signals: the job's are those hbrun got."""

    SHOW = ["grep", "-E", "^(SigBlk|SigIgn):", "/proc/self/status"]

    def masks(self, argv, preexec):
        p = subprocess.run(argv, env=self.sb.env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, preexec_fn=preexec, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = dict(line.split(":\t") for line in p.stdout.splitlines())
        return sig_mask(out["SigBlk"]), sig_mask(out["SigIgn"])

    def compare(self, preexec):
        direct = self.masks(self.SHOW, preexec)
        wrapped = self.masks(harness.command(["-q", "--api-url", NOWHERE, "--"] + self.SHOW),
                             preexec)
        self.assertEqual({"blocked": sorted(wrapped[0]), "ignored": sorted(wrapped[1])},
                         {"blocked": sorted(direct[0]), "ignored": sorted(direct[1])})
        return direct

    def test_defaults_stay_default(self):
        blocked, ignored = self.compare(None)
        self.assertNotIn(signal.SIGPIPE, ignored)
        self.assertNotIn(signal.SIGHUP, ignored)

    def test_ignored_stay_ignored(self):
        def preexec():
            for s in (signal.SIGPIPE, signal.SIGHUP, signal.SIGUSR2, signal.SIGINT):
                signal.signal(s, signal.SIG_IGN)
        blocked, ignored = self.compare(preexec)
        self.assertTrue({signal.SIGPIPE, signal.SIGHUP, signal.SIGUSR2, signal.SIGINT} <= ignored)

    def test_blocked_mask_inherited(self):
        sigs = {signal.SIGUSR1, signal.SIGWINCH, signal.SIGTERM, RTSIG}

        def preexec():
            signal.pthread_sigmask(signal.SIG_SETMASK, sigs)
        blocked, ignored = self.compare(preexec)
        self.assertEqual(blocked, sigs)

    def test_ignored_hup_is_not_forwarded_as_a_kill(self):
        # nohup: HUP ignored when hbrun starts stays ignored; sending it to
        # hbrun neither kills hbrun nor the job.
        def preexec():
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        ready = self.sb.path("ready")
        p = subprocess.Popen(
            harness.command(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                             'touch "$1"; sleep 1; exit 7', "job", ready]),
            env=self.sb.env(), preexec_fn=preexec, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.assertTrue(wait_for(lambda: os.path.exists(ready), 10))
        os.kill(p.pid, signal.SIGHUP)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 7, err)


class AskedToStop(ServerCase):
    """TERM, INT, HUP or QUIT while the job runs: no ping, even on exit 0."""

    def run_with_signal(self, sig, srv, token):
        job = SignalJob(self.sb, STOPS + [signal.SIGUSR1, signal.SIGUSR2], name="stop%d" % sig)
        p = start(["-t", token, "--api-url", srv.url, "--"] + job.argv, self.sb.env(),
                  start_new_session=True)
        try:
            self.assertTrue(job.wait_ready())
            if sig:
                os.kill(p.pid, sig)
                self.assertTrue(job.wait_count(sig), name(sig))
        finally:
            job.stop()
            out, err = p.communicate(timeout=60)
        return p.returncode, err

    def test_stop_signals_mean_no_ping(self):
        srv = self.server()
        for sig in STOPS:
            with self.subTest(sig=name(sig)):
                rc, err = self.run_with_signal(sig, srv, "stop-token-%d" % sig)
                self.assertEqual(rc, 0, err)
                time.sleep(0.1)
                self.assertEqual(srv.requests, [], name(sig))

    def test_other_signals_still_ping(self):
        srv = self.server()
        for i, sig in enumerate((0, signal.SIGUSR1, signal.SIGUSR2)):
            with self.subTest(sig=sig and name(sig)):
                rc, err = self.run_with_signal(sig, srv, "go-token-%d" % sig)
                self.assertEqual(rc, 0, err)
                self.assertTrue(srv.wait_requests(i + 1, 5))
                self.assertEqual(srv.requests[i].path, "/v1/heartbeats/go-token-%d/ping" % sig)


class PingPhase(ServerCase):
    """Signals after the job ended, while hbrun pings."""

    def test_stop_signal_abandons_the_ping_within_a_second(self):
        srv = self.server(plan=[("hang",)])
        for sig in STOPS:
            with self.subTest(sig=name(sig)):
                srv.set_plan([("hang",)])
                n = len(srv.requests)
                p = start(["-q", "-t", "phase-token", "--api-url", srv.url,
                           "--ping-timeout", "20", "--ping-deadline", "30", "--",
                           "true"], self.sb.env(), start_new_session=True)
                try:
                    self.assertTrue(srv.wait_requests(n + 1, 10), "no ping started")
                    time.sleep(0.1)
                    t0 = time.monotonic()
                    os.kill(p.pid, sig)
                    p.communicate(timeout=10)
                    elapsed = time.monotonic() - t0
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
                self.assertEqual(p.returncode, 0, "the job exited 0")
                self.assertLess(elapsed, 1.5)

    def test_other_signals_in_the_ping_phase_change_nothing(self):
        # With the job gone there is nobody to forward to; hbrun must not
        # die of the signal's default action either: the job's 0 stands.
        srv = self.server(plan=[("slow", 1.0, 200)])
        p = start(["-t", "phase-token", "--api-url", srv.url, "--", "true"], self.sb.env(),
                  start_new_session=True)
        try:
            self.assertTrue(srv.wait_requests(1, 10), "no ping started")
            for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE,
                        signal.SIGWINCH, RTSIG):
                os.kill(p.pid, sig)
                time.sleep(0.02)
            out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual((p.returncode, out, err), (0, "", ""))


class JobStopped(ServerCase):
    def test_a_stopped_job_is_not_an_ended_job(self):
        # The job stops itself; hbrun keeps waiting; SIGCONT sent to hbrun
        # is forwarded and the job goes on to exit 0.
        ready = self.sb.path("ready")
        p = start(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                   'touch "$1"; kill -STOP $$; exit 6', "job", ready], self.sb.env(),
                  start_new_session=True)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(ready), 10))
            job = wait_for(lambda: [c for c in children_of(p.pid)
                                    if proc_status(c).get("State", "")[:1] == "T"], 5)
            self.assertTrue(job, "the job did not stop")
            time.sleep(0.3)
            self.assertIsNone(p.poll(), "hbrun ended while its job was only stopped")
            os.kill(p.pid, signal.SIGCONT)
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 6, err)


class DeathBySignal(ServerCase):
    """The job killed by S: hbrun dies of S, and leaves no core."""

    @staticmethod
    def unlimited_core():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def cores_possible(self):
        """Whether a process here that dies of SIGSEGV writes a core in its cwd."""
        d = self.sb.path("control")
        os.mkdir(d)
        subprocess.run(["sh", "-c", "kill -SEGV $$"], cwd=d, preexec_fn=self.unlimited_core)
        return any(f.startswith("core") for f in os.listdir(d))

    def test_dies_of_the_jobs_signal(self):
        sigs = [signal.SIGTERM, signal.SIGKILL, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1,
                signal.SIGPIPE, signal.SIGALRM, signal.SIGQUIT, signal.SIGABRT, signal.SIGSEGV,
                signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSYS, RTSIG]
        cwd = self.sb.path("cwd")
        elsewhere = self.sb.path("jobcwd")
        os.mkdir(cwd)
        os.mkdir(elsewhere)
        for sig in sigs:
            with self.subTest(sig=name(sig)):
                res = run(["-q", "--api-url", NOWHERE, "--", "sh", "-c",
                           'cd "$1" && kill -%d $$' % sig, "job", elsewhere],
                          self.sb.env(), cwd=cwd, preexec_fn=self.unlimited_core)
                self.assertEqual(res.returncode, -sig, res)
                self.assertEqual(res.stdout, "", res)
        if self.cores_possible():
            self.assertEqual([f for f in os.listdir(cwd) if f.startswith("core")], [],
                             "hbrun left a core in its cwd")
        else:
            self.skipTest("no core dumps on this machine; 'no core' part not checked")

    def test_dies_of_a_signal_it_ignored_at_start(self):
        # hbrun started with HUP and PIPE ignored; the job resets HUP and dies
        # of it: hbrun must still die of HUP, not exit quietly.
        def preexec():
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        code = "import os, signal; signal.signal(signal.SIGHUP, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGHUP)"
        res = run(["-q", "--api-url", NOWHERE, "--", PYTHON, "-c", code], self.sb.env(),
                  preexec_fn=preexec)
        self.assertEqual(res.returncode, -signal.SIGHUP, res)

    def test_dies_of_the_signal_hbrun_forwarded(self):
        # TERM sent to hbrun, forwarded, kills the job: hbrun dies of TERM.
        ready = self.sb.path("ready")
        srv = self.server()
        p = start(["-t", "term-tok", "--api-url", srv.url, "--", "sh", "-c",
                   'touch "$1"; exec sleep 30', "job", ready], self.sb.env(),
                  start_new_session=True)
        self.assertTrue(wait_for(lambda: os.path.exists(ready), 10))
        time.sleep(0.1)
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, -signal.SIGTERM, err)
        self.assertEqual(srv.requests, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
