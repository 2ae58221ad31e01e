"""Other projects' own tests of the same job, replayed on hbrun: coreutils'
tests/timeout/ (timeout.sh, timeout-parameters.sh, timeout-large-parameters.sh,
timeout-group.sh, timeout-blocked.pl, init-parent.sh) and tini's test/
(run_inner_tests.py with its stage scripts).  The code is ours; the
scenarios and the statuses they expect are theirs, translated to hbrun's
(its exit-status table).  Where hbrun differs on purpose (hbrun(1): digits
and one point only, no signal choice, 124 always, the job's own status kept
for a success status), the case is named deliberate_* and says why.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_replays.py
"""

import os
import pty
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, scaled, start  # noqa: E402
from jobs import PYTHON, SignalJob, proc_status, sig_mask, wait_for  # noqa: E402
from namespaces import PID_NS, can_unshare  # noqa: E402
from servercase import ServerCase  # noqa: E402

NOWHERE = "http://127.0.0.1:9/v1"   # discard port: nothing listens
QUIET = ["-q", "--api-url", NOWHERE, "--ping-retries", "0", "--ping-deadline", "2"]


def alive(pid):
    st = proc_status(pid)
    return bool(st) and not st.get("State", "").startswith("Z")


def read_pid(path, timeout=10):
    def get():
        try:
            with open(path) as f:
                text = f.read().strip()
            return int(text) if text else None
        except (FileNotFoundError, ValueError):
            return None
    return wait_for(get, scaled(timeout))


def hbrun_sh(sb, script, env, **kw):
    """Run SCRIPT with sh, $HBRUN naming a script that runs hbrun."""
    words = " ".join("'%s'" % w for w in harness.command([]))
    wrapper = sb.write_file("hbrun.sh", '#!/bin/sh\nexec %s "$@"\n' % words, 0o755)
    return subprocess.run(["sh", "-c", script], env=dict(env, HBRUN=wrapper), timeout=scaled(60),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def few(values):
    """VALUES, or under valgrind (seconds a run) the first alone: the
    parsing is the same for each, the others are the plain and ASan
    builds' to check."""
    return values[:1] if harness.UNDER_VALGRIND else values


def asan_build():
    """Whether hbrun was built with AddressSanitizer."""
    try:
        with open(harness.HBRUN, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class CoreutilsTimeout(ServerCase):
    """coreutils tests/timeout/timeout.sh."""

    def status(self, *args):
        return run(QUIET + list(args), self.sb.env(), timeout=scaled(60)).returncode

    def test_no_timeout(self):
        self.assertEqual(self.status("--timeout", "10", "--", "true"), 0)

    def test_deliberate_no_suffix(self):
        # timeout 1d: hbrun takes seconds as digits and one point only, so
        # that a typo never becomes a limit nobody meant: a usage error.
        self.assertEqual(self.status("--timeout", "1d", "--", "true"), 125)

    def test_deliberate_zero_is_not_disabled(self):
        # timeout 0 disables it; hbrun's timeout is off by being unset, and
        # 0 is out of its range (a usage error, the job never runs).
        self.assertEqual(self.status("--timeout", "0", "--", "true"), 125)

    def test_exit_status_propagation(self):
        self.assertEqual(self.status("--timeout", "10", "--", "sh", "-c", "exit 2"), 2)

    def test_timeout(self):
        self.assertEqual(self.status("--timeout", ".1", "--", "sleep", "10"), 124)

    def test_deliberate_no_preserve_status(self):
        # --preserve-status: hbrun's timed-out run is always 124, the one
        # status that says so, and a fail event.
        res = run(QUIET + ["--timeout", ".1", "--", "sleep", "10"], self.sb.env())
        self.assertEqual(res.returncode, 124)
        self.assertRegex(res.stderr, r"timed out after 0.1 s")

    def test_kill_delay_still_124(self):
        # timeout -s0 -k1 .1 sleep 10: the command outlives the first signal
        # and is KILLed; still 124.  hbrun has no -s: a job ignoring TERM.
        self.assertEqual(self.status("--timeout", ".1", "--kill-after", "1", "--", "sh", "-c",
                                     "trap '' TERM; sleep 10"), 124)

    def test_immune_to_parents_sigchld_ignored(self):
        res = hbrun_sh(self.sb, "trap '' CHLD; exec $HBRUN -q --api-url %s --timeout 10 -- true"
                       % NOWHERE, self.sb.env())
        self.assertEqual(res.returncode, 0, res.stderr)

    def test_starting_off_with_a_child(self):
        # Bug#9098: out=$(setsid sleep .1 & exec timeout .5 sh -c 'sleep 2; echo foo')
        res = hbrun_sh(self.sb, "setsid sleep .1 & exec $HBRUN -q --api-url %s --timeout .5 -- "
                       "sh -c 'sleep 2; echo foo'" % NOWHERE, self.sb.env())
        self.assertEqual((res.returncode, res.stdout), (124, ""), res.stderr)

    def test_a_sidecar_is_neither_signalled_nor_waited_for(self):
        # The same, with a sidecar that would show it: it ignores TERM and
        # runs until the test lets it end.  hbrun inherited it; it is not
        # the job's: hbrun ends (124) with the sidecar still running, and
        # the sidecar then ends on its own.
        mark = self.sb.path("sidecar")
        sidecar = ('trap "" TERM; echo $$ > "$0.pid"; '
                   'while [ ! -e "$0.stop" ]; do sleep 0.05; done; touch "$0.done"')
        res = hbrun_sh(self.sb, "sh -c '%s' '%s' >/dev/null 2>&1 & exec $HBRUN -q --api-url %s "
                       "--timeout .3 --kill-after 20 -- sleep 10"
                       % (sidecar, mark, NOWHERE), self.sb.env())
        pid = read_pid(mark + ".pid")
        try:
            self.assertEqual(res.returncode, 124, res.stderr)
            self.assertTrue(pid and alive(pid), "the sidecar was ended with the job")
        finally:
            open(mark + ".stop", "w").close()
        self.assertTrue(wait_for(lambda: os.path.exists(mark + ".done"), scaled(20)),
                        "the sidecar did not run to its end")

    def test_sigpipe_on_its_own_stderr(self):
        # { timeout -v .1 sleep 10 2>&1; echo $? >timeout.status; } | :
        status = self.sb.path("status")
        hbrun_sh(self.sb, "{ $HBRUN -q --api-url %s --timeout .1 -- sleep 10 2>&1; echo $? > '%s'; } | :"
                 % (NOWHERE, status), self.sb.env())
        with open(status) as f:
            self.assertEqual(f.read().strip(), "124")

    def test_ignored_sigpipe_stays_ignored(self):
        # (trap '' PIPE && timeout 10 yes |:) 2>&1 | grep 'Broken pipe'
        res = hbrun_sh(self.sb, "(trap '' PIPE && $HBRUN -q --api-url %s --timeout 10 -- yes | :) 2>&1"
                       % NOWHERE, self.sb.env())
        self.assertIn("Broken pipe", res.stdout + res.stderr)


class CoreutilsParameters(ServerCase):
    """timeout-parameters.sh and timeout-large-parameters.sh."""

    def status(self, *args):
        return run(QUIET + list(args), self.sb.env(), timeout=scaled(60)).returncode

    def test_invalid_values_are_125(self):
        for value in few(("invalid", " -0.1", " -1e-10000", "42D")):
            with self.subTest(value=value):
                self.assertEqual(self.status("--timeout", value, "--", "sleep", "0"), 125)
        self.assertEqual(self.status("--timeout", "1", "--kill-after", "invalid", "--",
                                     "sleep", "0"), 125)

    def test_valid_fractions(self):
        for value in few(("10.34", "9.999999999")):
            with self.subTest(value=value):
                self.assertEqual(self.status("--timeout", value, "--", "sleep", "0"), 0)

    def test_deliberate_exponent_is_a_usage_error(self):
        # timeout 1e-10000 sleep 10 is 124 there; hbrun takes digits and one
        # point only, no exponent or hex (hbrun(1)).
        for value in few(("1e-10000", "1e2", "0x10", "2.34e+5")):
            with self.subTest(value=value):
                self.assertEqual(self.status("--timeout", value, "--", "sleep", "10"), 125)

    def test_deliberate_no_signal_option(self):
        # --signal=invalid is 125 there for the value; hbrun has no --signal
        # (TERM, then KILL): an unknown option, 125 as well.
        self.assertEqual(self.status("--signal=invalid", "--timeout", "1", "--", "sleep", "0"),
                         125)

    def test_cannot_invoke_and_not_found(self):
        self.assertEqual(self.status("--timeout", "10", "--", "."), 126)
        self.assertEqual(self.status("--timeout", "10", "--", "no_such"), 127)

    def test_deliberate_large_values_are_out_of_range(self):
        # timeout clamps TIME_T_OFLOW, UINT_OFLOW, LDBL_MAX to "forever";
        # hbrun's range is 0-86400 (a timeout above a day is a typo): 125.
        for value in few(("4294967296", "9223372036854775808", "1" + "0" * 400)):
            with self.subTest(value=value[:20]):
                self.assertEqual(self.status("--timeout", value, "--", "sleep", "0"), 125)


class CoreutilsSignals(ServerCase):
    """timeout-blocked.pl, timeout-group.sh, init-parent.sh."""

    def test_alarm_blocked(self):
        # hbrun's timer is a timerfd: an ALRM blocked by the caller changes
        # nothing.
        def block_alrm():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        res = run(QUIET + ["--timeout", ".1", "--", "sleep", "10"], self.sb.env(),
                  preexec_fn=block_alrm)
        self.assertEqual(res.returncode, 124, res)

    def test_signal_to_the_whole_group_reaches_the_job(self):
        # group.sh in its own group; USR1 to the group: the job gets it
        # (from the kill and from hbrun; it handles it by ending).
        mark = self.sb.path("sig.received")
        job = "trap 'touch \"$0\"; exit' USR1; touch \"$0.running\"; " \
              "i=0; while [ ! -e \"$0\" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done"
        p = start(QUIET + ["--timeout", "25", "--", "sh", "-c", job, mark], self.sb.env(),
                  start_new_session=True)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(mark + ".running"), scaled(10)))
            os.killpg(p.pid, signal.SIGUSR1)
            p.communicate(timeout=scaled(30))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertTrue(os.path.exists(mark))

    def test_killed_hbrun_kills_the_job(self):
        # kill -KILL timeout: on Linux the command ends too (PR_SET_PDEATHSIG).
        pidfile = self.sb.path("job.pid")
        p = start(QUIET + ["--timeout", "25", "--", "sh", "-c", 'echo $$ > "$0"; exec sleep 20',
                           pidfile], self.sb.env())
        try:
            pid = read_pid(pidfile)
            self.assertTrue(pid)
            p.kill()
            p.wait()
            self.assertTrue(wait_for(lambda: not alive(pid), scaled(10)),
                            "the job ran on after hbrun was killed")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_job_in_its_own_group_is_timed_out(self):
        # Cascaded timeouts: a command that makes its own group (timeout
        # does, without --foreground) is still ended on time.
        res = run(QUIET + ["--timeout", ".5", "--", "timeout", "25", "sleep", "20"],
                  self.sb.env(), timeout=scaled(30))
        self.assertEqual(res.returncode, 124, res)
        self.assertLess(res.elapsed, harness.upper(10))  # not the inner 20 s

    @unittest.skipUnless(can_unshare("--pid"), "no PID namespaces here")
    def test_init_parent(self):
        # newpids timeout .1 sleep 10: as PID 1 of a new PID namespace.
        res = run(QUIET + ["--timeout", ".1", "--", "sleep", "10"], self.sb.env(),
                  prefix=PID_NS, timeout=scaled(30))
        self.assertEqual(res.returncode, 124, res)


class CtrlCToOwnGroup(ServerCase):
    """timeout-group.sh's "Ctrl-C to the group", with a terminal: ^C reaches
    a job that put itself in a process group of its own (hbrun -- timeout 10
    JOB), once."""

    def test_ctrl_c_reaches_a_job_in_its_own_group(self):
        job = SignalJob(self.sb, [signal.SIGINT])
        args = harness.command(QUIET + ["--", "setsid", "-w"] + job.argv)
        pid, master = pty.fork()
        if pid == 0:
            try:
                os.execve(args[0], args, self.sb.env())
            finally:
                os._exit(127)
        status = None
        try:
            os.set_blocking(master, False)

            def drain():
                try:
                    os.read(master, 4096)
                except OSError:
                    pass
                return os.path.exists(job.ready)
            self.assertTrue(wait_for(drain, scaled(10)), "the job did not start")
            os.write(master, b"\x03")
            self.assertTrue(job.wait_count(signal.SIGINT), "^C never reached the job")
            time.sleep(0.3)
            job.stop()
            end = time.monotonic() + scaled(30)
            while time.monotonic() < end and status is None:
                drain()
                wpid, st = os.waitpid(pid, os.WNOHANG)
                status = st if wpid == pid else None
                time.sleep(0.01)
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(master)
        self.assertEqual(job.counts().get(int(signal.SIGINT)), 1, job.counts())


class Tini(ServerCase):
    """tini's test/run_inner_tests.py."""

    def test_deliberate_success_status_keeps_the_status(self):
        # tini -e CODE maps CODE to 0; hbrun's success_status counts it a
        # success for the ping and still exits with it (rule 1).
        for code in few((1, 2, 255)):
            with self.subTest(code=code):
                srv = self.server()
                res = run(["-t", "tok", "--api-url", srv.url, "--success-status", str(code),
                           "--", "sh", "-c", "exit %d" % code], self.sb.env())
                self.assertEqual(res.returncode, code, res)
                self.assertEqual(len(srv.requests), 1)
                res = run(QUIET + ["--", "sh", "-c", "exit %d" % code], self.sb.env())
                self.assertEqual(res.returncode, code, res)

    def test_signals(self):
        # TERM, USR1, USR2 to the supervisor of a job whose child is
        # `sleep 100`: tini exits 128+S; hbrun dies of S (128+S as PID 1).
        job = [PYTHON, "-c", "import os, signal\n"
               "for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):\n"
               "    signal.signal(s, signal.SIG_DFL)\n"
               "os.system('exec sleep 100')\n"]
        for sig in few((signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)):
            with self.subTest(sig=sig.name):
                p = start(QUIET + ["--"] + job, self.sb.env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
                try:
                    self.assertTrue(wait_for(lambda: any(
                        proc_status(c).get("Name") == "sleep" for c in descendants(p.pid)),
                        scaled(10)))
                    p.send_signal(sig)
                    p.wait(timeout=scaled(10))
                    self.assertEqual(p.returncode, -sig)
                finally:
                    for c in descendants(p.pid):
                        os.kill(c, signal.SIGKILL)
                    if p.poll() is None:
                        p.kill()
                        p.wait()

    def test_reaping_as_subreaper(self):
        # reaping/stage_1.py: with a timeout hbrun is the job's subreaper and
        # reaps every orphan; no zombie is left below it.
        script = ("import os, subprocess, sys, time\n"
                  "for i in range(20):\n"
                  "    subprocess.Popen(['sh', '-c', 'sleep 0.%d & exit 0' % (1 + i % 3)])\n"
                  "me, parent = os.getpid(), os.getppid()\n"
                  "def zombies():\n"
                  "    out = []\n"
                  "    for d in os.listdir('/proc'):\n"
                  "        if not d.isdigit() or int(d) == me: continue\n"
                  "        try: st = open('/proc/%s/stat' % d).read()\n"
                  "        except OSError: continue\n"
                  "        f = st[st.rfind(')') + 2:].split()\n"
                  "        if int(f[1]) == parent and f[0] == 'Z': out.append(d)\n"
                  "    return out\n"
                  "for _ in range(100):\n"
                  "    time.sleep(0.1)\n"
                  "    if not zombies(): sys.exit(0)\n"
                  "sys.exit(1)\n")
        res = run(QUIET + ["--timeout", "60", "--", PYTHON, "-c", script], self.sb.env(),
                  timeout=scaled(60))
        self.assertEqual(res.returncode, 0, res)

    def test_deliberate_no_warning_without_a_subreaper(self):
        # tini warns that zombie reaping won't work when it is neither PID 1
        # nor a subreaper; hbrun is not an init there: orphans go to the
        # system's, in silence.
        res = run(QUIET + ["--", "sh", "-c", "(sleep 0.1 &); exit 0"], self.sb.env())
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)

    def test_deliberate_signal_goes_to_the_job_not_its_group(self):
        # tini -g sends a signal to the job's whole group; hbrun forwards to
        # the job, whose children are its own business (pgroup/stage_1.py:
        # a job ignoring USR1 keeps its child).
        job = [PYTHON, "-c", "import signal, subprocess\n"
               "signal.signal(signal.SIGUSR1, signal.SIG_IGN)\n"
               "subprocess.Popen(['sleep', '1000'], preexec_fn=lambda: "
               "signal.signal(signal.SIGUSR1, signal.SIG_DFL)).wait()\n"]
        p = start(QUIET + ["--"] + job, self.sb.env())
        try:
            self.assertTrue(wait_for(lambda: any(
                proc_status(c).get("Name") == "sleep" for c in descendants(p.pid)), scaled(10)))
            p.send_signal(signal.SIGUSR1)
            time.sleep(0.3)
            self.assertIsNone(p.poll())
            self.assertTrue(any(proc_status(c).get("Name") == "sleep"
                                for c in descendants(p.pid)))
        finally:
            for c in descendants(p.pid):
                os.kill(c, signal.SIGKILL)
            p.communicate(timeout=scaled(10))

    def test_signal_configuration_inherited(self):
        # sigconf-test: TTOU, SEGV, INT ignored and TTIN, ILL, TERM blocked
        # when started: the job has them the same.
        def conf():
            for s in (signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT):
                signal.signal(s, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK,
                                   {signal.SIGTTIN, signal.SIGILL, signal.SIGTERM})
        res = run(QUIET + ["--", "cat", "/proc/self/status"], self.sb.env(), preexec_fn=conf)
        self.assertEqual(res.returncode, 0, res)
        seen = dict(line.split(":\t", 1) for line in res.stdout.splitlines()
                    if line.startswith("Sig"))
        self.assertLessEqual({signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT},
                             set(sig_mask(seen["SigIgn"])))
        self.assertLessEqual({signal.SIGTTIN, signal.SIGILL, signal.SIGTERM},
                             set(sig_mask(seen["SigBlk"])))


class NoProc(ServerCase):
    """Without a readable /proc the timeout finds only the job: one line
    says so, as descendants in other sessions may run on."""

    @unittest.skipUnless(can_unshare("--mount"), "no mount namespaces here")
    @unittest.skipIf(harness.UNDER_VALGRIND or asan_build(),
                     "valgrind and LeakSanitizer need /proc themselves")
    def test_says_so_in_one_line(self):
        pidfile = self.sb.path("daemon.pid")
        res = run(QUIET + ["--timeout", ".3", "--", "sh", "-c",
                           'setsid sh -c \'echo $$ > "$0"; exec sleep 30\' "$0" '
                           '>/dev/null 2>&1 & exec sleep 10',
                           pidfile], self.sb.env(),
                  prefix=["unshare", "--mount", "sh", "-c",
                          'mount -t tmpfs none /proc && exec "$@"', "sh"],
                  timeout=scaled(60))
        pid = read_pid(pidfile)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.assertEqual(res.returncode, 124, res)
        lines = [l for l in res.lines() if "/proc" in l]
        self.assertEqual(len(lines), 1, res)


def descendants(pid):
    """Every process below PID, from /proc."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            parents.setdefault(int(st[st.rfind(")") + 2:].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in parents.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
