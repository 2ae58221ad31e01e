"""Job control: the timeout that ends the job's whole tree, the overlap
lock, the random delay, success statuses; their usage errors.

SPEC sections 1, 3.1 and the exit-status table.
"""

import fcntl
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, start, upper, scaled  # noqa: E402
from jobs import PYTHON, lock_held, wait_child, wait_for, proc_status, sig_mask  # noqa: E402
from namespaces import PID_NS, can_unshare  # noqa: E402
from servercase import ServerCase  # noqa: E402

TOKEN = "jobctl-token-0123"


def own_lines(text):
    """hbrun's lines of TEXT (stderr): under valgrind, less its notes, such
    as the one about pidfd_open, which valgrind 3.19 does not know."""
    lines = text.splitlines()
    if harness.UNDER_VALGRIND:
        lines = [l for l in lines if not re.match(r"^--\d+-- ", l)]
    return lines


def alive(pid):
    """Whether PID runs (a zombie has ended)."""
    st = proc_status(pid)
    return bool(st) and not st.get("State", "").startswith("Z")


# A job that starts a tree and writes each member's pid into PIDS:
# a background child, a setsid grandchild, a double-forked daemon that
# ignores TERM when told to; then it waits.  Every member handles TERM by
# writing "<name> TERM" into PIDS.TERM (unless it ignores TERM).
TREE_JOB = r'''
import os, signal, sys, time
pids, stubborn = sys.argv[1], sys.argv[2] == "1"
def note(name):
    with open(pids, "a") as f:
        f.write("%s %d\n" % (name, os.getpid()))
def on_term(name):
    def h(signum, frame):
        with open(pids + ".TERM", "a") as f:
            f.write(name + "\n")
        os._exit(0)
    return h
def member(name, ignore=False):
    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore else on_term(name))
    note(name)
    while True:
        time.sleep(1)
if os.fork() == 0:
    member("child")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        member("grandchild")
    member("session")
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            member("daemon", ignore=stubborn)
        os._exit(0)
    os._exit(0)
signal.signal(signal.SIGTERM, on_term("job"))
note("job")
while True:
    time.sleep(1)
'''

MEMBERS = {"job", "child", "session", "grandchild", "daemon"}


class Timeout(ServerCase):
    def tree(self, *opts, stubborn=False, env=None):
        job = self.sb.write_file("tree.py", TREE_JOB, 0o644)
        pids = self.sb.path("pids")
        srv = self.server()
        p = start(["-t", TOKEN, "--api-url", srv.url] + list(opts)
                  + ["--", PYTHON, job, pids, "1" if stubborn else "0"],
                  env or self.sb.env(), start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())

        def members():
            try:
                with open(pids) as f:
                    return dict(l.split() for l in f if l.strip())
            except FileNotFoundError:
                return {}
        self.assertTrue(wait_for(lambda: set(members()) == MEMBERS, scaled(20)),
                        members())
        found = {k: int(v) for k, v in members().items()}
        self.addCleanup(lambda: [os.kill(pid, signal.SIGKILL) for pid in found.values()
                                 if alive(pid)])
        out, err = p.communicate(timeout=scaled(60))
        return p.returncode, err, found, srv

    def terms(self):
        try:
            with open(self.sb.path("pids.TERM")) as f:
                return set(f.read().split())
        except FileNotFoundError:
            return set()

    def test_the_whole_tree_gets_term_and_hbrun_exits_124(self):
        rc, err, pids, srv = self.tree("--timeout", "1", "-q")
        self.assertEqual(rc, 124, err)
        # Every member had ended when hbrun exited (a zombie has ended).
        self.assertEqual([n for n, pid in pids.items() if alive(pid)], [])
        self.assertEqual(self.terms(), MEMBERS)
        # One line, even with -q; no request: a timed-out run never pings.
        self.assertEqual(own_lines(err), ["hbrun: '%s' timed out after 1 s" % PYTHON])
        self.assertEqual(srv.requests, [])

    def test_one_ignoring_term_gets_kill_after_kill_after(self):
        start_t = time.monotonic()
        rc, err, pids, srv = self.tree("--timeout", "0.5", "--kill-after", "1",
                                       stubborn=True)
        elapsed = time.monotonic() - start_t
        self.assertEqual(rc, 124, err)
        self.assertEqual([n for n, pid in pids.items() if alive(pid)], [])
        # The daemon ignored TERM: only KILL, a second after it, ended it.
        self.assertEqual(self.terms(), MEMBERS - {"daemon"})
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertEqual(srv.requests, [])

    def test_a_job_ending_in_time_leaves_its_leftovers_alone(self):
        srv = self.server()
        left = self.sb.path("left")
        res = run(["-t", TOKEN, "--api-url", srv.url, "--timeout", "60", "--",
                   "sh", "-c", "sleep 100 >/dev/null 2>&1 & echo $! > %s" % left], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        with open(left) as f:
            pid = int(f.read())
        self.addCleanup(lambda: alive(pid) and os.kill(pid, signal.SIGKILL))
        self.assertTrue(alive(pid))
        self.assertEqual(res.stderr, "")
        self.assertEqual(len(srv.requests), 1)

    def test_a_job_that_exits_0_on_term_still_times_out(self):
        srv = self.server()
        res = run(["-t", TOKEN, "--api-url", srv.url, "--timeout", "0.5", "--",
                   "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"],
                  self.sb.env())
        self.assertEqual(res.returncode, 124, res)
        self.assertEqual(srv.requests, [])

    def test_kill_after_0_never_kills(self):
        # The job ignores TERM and ends on its own a while later: hbrun waits.
        res = run(["--timeout", "0.3", "--kill-after", "0", "--", "sh", "-c",
                   "trap '' TERM; sleep 1.5"], self.sb.env())
        self.assertEqual(res.returncode, 124, res)
        self.assertGreaterEqual(res.elapsed, 1.5)

    def test_signals_still_reach_the_job(self):
        res = run(["--timeout", "60", "--", "sh", "-c", "kill -USR1 $PPID; sleep 5"],
                  self.sb.env())
        self.assertEqual(res.returncode, -signal.SIGUSR1, res)


class SuccessStatus(ServerCase):
    def job(self, code_or_signal, *opts):
        srv = self.server()
        script = ("kill -%d $$" % -code_or_signal if code_or_signal < 0
                  else "exit %d" % code_or_signal)
        res = run(["-t", TOKEN, "--api-url", srv.url] + list(opts)
                  + ["--", "sh", "-c", script], self.sb.env())
        return res, srv

    def test_a_listed_status_pings_and_is_still_the_exit_status(self):
        res, srv = self.job(24, "--success-status", "1,24")
        self.assertEqual(res.returncode, 24, res)
        self.assertEqual(len(srv.requests), 1)

    def test_an_unlisted_status_does_not_ping(self):
        res, srv = self.job(23, "--success-status", "1,24")
        self.assertEqual(res.returncode, 23, res)
        self.assertEqual(srv.requests, [])

    def test_a_signal_death_never_counts(self):
        res, srv = self.job(-signal.SIGTERM, "--success-status", "15,143")
        self.assertEqual(res.returncode, -signal.SIGTERM, res)
        self.assertEqual(srv.requests, [])

    def test_from_the_config_file(self):
        self.sb.write_config("success_status = 3\n")
        res, srv = self.job(3)
        self.assertEqual(res.returncode, 3, res)
        self.assertEqual(len(srv.requests), 1)


class UsageErrors(ServerCase):
    BAD = [["--timeout", "0"], ["--timeout", "2678401"], ["--timeout", "x"],
           ["--kill-after", "86401"], ["--kill-after", "-1"],
           ["--random-delay", "86401"], ["--lock", ""],
           ["--success-status", ""], ["--success-status", "0"],
           ["--success-status", "256"], ["--success-status", "1,,2"],
           ["--success-status", "1,"], ["--success-status", "x"]]

    def test_bad_job_control_values_are_usage_errors(self):
        srv = self.server()
        marker = self.sb.path("ran")
        for opts in self.BAD:
            with self.subTest(opts=opts):
                res = run(["-q", "-t", TOKEN, "--api-url", srv.url] + opts
                          + ["--", "touch", marker], self.sb.env())
                self.assertEqual(res.returncode, 125, res)
                self.assertFalse(os.path.exists(marker))
                self.assertEqual(len(res.lines()), 1, res)
        self.assertEqual(srv.requests, [])

    def test_a_bad_number_in_the_config_file_is_ignored_with_a_warning(self):
        self.sb.write_config("timeout = soon\nkill_after = 99999\n")
        res = run(["--", "true"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("bad value for 'timeout'", res.stderr)
        self.assertIn("bad value for 'kill_after'", res.stderr)

    def test_an_empty_lock_in_the_config_file_is_unusable(self):
        self.sb.write_config("lock =\n")
        marker = self.sb.path("ran")
        res = run(["-q", "--", "touch", marker], self.sb.env())
        self.assertEqual(res.returncode, 125, res)
        self.assertFalse(os.path.exists(marker))


class Lock(ServerCase):
    def hold(self, path):
        f = open(path, "a")
        self.addCleanup(f.close)
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return f

    def test_held_exits_75_without_running_or_sending(self):
        srv = self.server()
        lock = self.sb.path("job.lock")
        self.hold(lock)
        marker = self.sb.path("ran")
        res = run(["-q", "-t", TOKEN, "--api-url", srv.url, "--lock", lock, "--",
                   "touch", marker], self.sb.env())
        self.assertEqual(res.returncode, 75, res)
        self.assertEqual(len(res.lines()), 1, res)
        self.assertIn("locked by another run", res.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(srv.requests, [])

    def test_created_0600_never_truncated_not_inherited(self):
        lock = self.sb.path("new.lock")
        job = ("import fcntl, os, sys\n"
               "fds = [os.readlink('/proc/self/fd/%d' % n) for n in range(3, 64)\n"
               "       if os.path.lexists('/proc/self/fd/%d' % n)]\n"
               "assert sys.argv[1] not in fds, fds\n"
               "f = open(sys.argv[1])\n"
               "try:\n"
               "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
               "except BlockingIOError:\n"
               "    sys.exit(7)\n")
        res = run(["--lock", lock, "--", PYTHON, "-c", job, lock], self.sb.env())
        # The job does not hold the descriptor, and hbrun holds the lock.
        self.assertEqual(res.returncode, 7, res)
        self.assertEqual(os.stat(lock).st_mode & 0o777, 0o600)
        with open(lock, "w") as f:
            f.write("keep")
        res = run(["--lock", lock, "--", "true"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        with open(lock) as f:
            self.assertEqual(f.read(), "keep")

    def test_relative_in_the_config_file_means_its_folder(self):
        self.sb.write_config("lock = rel.lock\n")
        res = run(["--", "true"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(self.sb.config),
                                                    "rel.lock")))

    def test_unusable_lock_files_exit_125(self):
        d = self.sb.path("lockdir")
        os.mkdir(d)
        target = self.sb.write_file("target", "")
        link = self.sb.path("link.lock")
        os.symlink(target, link)
        fifo = self.sb.path("fifo.lock")
        os.mkfifo(fifo, 0o600)
        hard = self.sb.write_file("hard.lock", "")
        os.link(hard, self.sb.path("hard2.lock"))
        missing = self.sb.path("no/such/dir/x.lock")
        marker = self.sb.path("ran")
        for path, why in [(d, "Is a directory"), (link, "symbolic link"),
                          (fifo, "not a regular file"), (hard, "hard link"),
                          (missing, "No such file")]:
            with self.subTest(path=path):
                res = run(["-q", "--lock", path, "--", "touch", marker],
                          self.sb.env(), timeout=30)
                self.assertEqual(res.returncode, 125, res)
                self.assertEqual(len(res.lines()), 1, res)
                self.assertIn(why, res.stderr)
                self.assertFalse(os.path.exists(marker))

    def test_a_folder_that_is_a_symbolic_link_is_fine(self):
        real = self.sb.path("real")
        os.mkdir(real)
        os.symlink(real, self.sb.path("via"))
        res = run(["--lock", self.sb.path("via/x.lock"), "--", "true"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertTrue(os.path.exists(os.path.join(real, "x.lock")))

    def test_two_runs_raced_many_times_never_overlap(self):
        lock = self.sb.path("race.lock")
        busy = self.sb.path("busy")
        # mkdir is atomic: a second job running at once would fail it.
        # Under valgrind, 10 rounds: each start costs a second of memcheck,
        # and the lock's code is the same in every round; the job holds
        # the lock longer there, so that the two starts still meet.
        rounds, hold = (10, "1") if harness.UNDER_VALGRIND else (100, "0.1")
        job = ["sh", "-c", 'mkdir "$0" || exit 99; sleep %s; rmdir "$0"' % hold, busy]
        codes = []
        for _ in range(rounds):
            ps = [start(["--lock", lock, "--"] + job, self.sb.env()) for _ in range(2)]
            for p in ps:
                p.communicate(timeout=scaled(60))
                codes.append(p.returncode)
        print("ran %d, turned away %d" % (codes.count(0), codes.count(75)),
              file=sys.stderr)
        self.assertEqual(sorted(set(codes) - {0, 75}), [], codes)
        # Both outcomes came up: the runs did meet on the lock.
        self.assertIn(0, codes)
        self.assertIn(75, codes)


class RandomDelay(ServerCase):
    def test_the_delay_spreads_over_its_range(self):
        runs = 8
        stamps = [self.sb.path("t%d" % i) for i in range(runs)]
        launched = []
        ps = []
        for path in stamps:
            launched.append(time.time())
            ps.append(start(["--random-delay", "2", "--", "sh", "-c",
                             'date +%s.%N > "$0"', path], self.sb.env()))
        for p in ps:
            p.communicate(timeout=scaled(60))
            self.assertEqual(p.returncode, 0)
        delays = []
        for t0, path in zip(launched, stamps):
            with open(path) as f:
                delays.append(float(f.read()) - t0)
        print("delays:", " ".join("%.2f" % d for d in sorted(delays)), file=sys.stderr)
        # Uniform over 0-2 s: eight draws all within 0.3 s of each other
        # would happen about once in ten million runs.
        self.assertGreater(max(delays) - min(delays), 0.3, delays)
        self.assertLess(max(delays), upper(2 + 5), delays)

    def test_a_stop_signal_during_the_delay_ends_hbrun_by_it(self):
        srv = self.server()
        marker = self.sb.path("ran")
        lock = self.sb.path("delay.lock")
        p = start(["-t", TOKEN, "--api-url", srv.url, "--lock", lock,
                   "--random-delay", "86400", "--", "touch", marker], self.sb.env())
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.assertTrue(wait_for(lambda: lock_held(lock), scaled(20)))
        # Other signals are read and dropped, never set ignored.
        p.send_signal(signal.SIGUSR1)
        p.send_signal(signal.SIGUSR2)
        time.sleep(0.2)
        self.assertIsNone(p.poll())
        ignored = sig_mask(proc_status(p.pid).get("SigIgn", "0"))
        self.assertNotIn(signal.SIGUSR1, ignored)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=scaled(30))
        self.assertEqual(p.returncode, -signal.SIGINT)
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(srv.requests, [])


UNSHARE = PID_NS


@unittest.skipUnless(can_unshare("--pid"), "cannot make a PID namespace here (needs root and unshare)")
class AsPid1(ServerCase):
    def test_a_timeout_exits_124_as_pid1(self):
        left = self.sb.path("left")
        res = run(["-q", "--timeout", "0.5", "--", "sh", "-c",
                   "setsid sleep 100 >/dev/null 2>&1 & echo $! > %s; sleep 100" % left],
                  self.sb.env(), prefix=UNSHARE, timeout=scaled(60))
        self.assertEqual(res.returncode, 124, res)
        self.assertEqual(own_lines(res.stderr), ["hbrun: 'sh' timed out after 0.5 s"])

    def test_a_stop_signal_during_the_delay_exits_128_plus_s(self):
        marker = self.sb.path("ran")
        lock = self.sb.path("delay.lock")
        p = start(["--lock", lock, "--random-delay", "86400", "--", "touch", marker],
                  self.sb.env(), prefix=UNSHARE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        hb = wait_child(p.pid, comm=harness.COMM)
        self.assertIsNotNone(hb, "no hbrun under unshare")
        self.assertTrue(wait_for(lambda: lock_held(lock), scaled(20)))
        os.kill(hb, signal.SIGTERM)
        p.communicate(timeout=scaled(30))
        self.assertEqual(p.returncode, 128 + signal.SIGTERM)
        self.assertFalse(os.path.exists(marker))


if __name__ == "__main__":
    unittest.main(verbosity=2)
