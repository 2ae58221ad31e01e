"""Run the real hbrun binary from the end-to-end tests.

The binary comes from $HBRUN (meson sets it).  Every run gets a clean
environment of its own: a private HOME and XDG_CONFIG_HOME holding an empty
config file (so no /etc/hbrun.conf of the machine is read), no HBRUN_* and no
proxy variables unless the test adds them.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HBRUN = os.environ.get("HBRUN", "")
if not HBRUN or not os.access(HBRUN, os.X_OK):
    raise SystemExit("tests: set HBRUN to the hbrun binary (meson test does this)")

# The suite may have been started with HUP, INT or QUIT ignored (under nohup,
# or by a script's "&").  hbrun keeps a signal ignored at its start ignored
# in its job, as it must, so the tests that send those signals would see
# the job survive them: every test starts hbrun from the defaults.
for _sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
    if signal.getsignal(_sig) == signal.SIG_IGN:
        signal.signal(_sig, signal.default_int_handler if _sig == signal.SIGINT
                      else signal.SIG_DFL)

# Sanitizer builds: hbrun re-raises the job's signal, so ASan must not claim
# the fault signals; leaks and undefined behaviour still fail the run.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:"
                    "handle_sigill=0:handle_abort=0:detect_leaks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

_PASS_THROUGH = ("PATH", "LD_LIBRARY_PATH", "TMPDIR")

# A command put before every hbrun the tests start: the 'valgrind' test setup
# (tests/meson.build) sets it to valgrind memcheck, which reports on hbrun's
# stderr (a log file's descriptor would leak into the job) and exits 99 on
# an error or a definite leak.  Memcheck adds a second or so of start-up to
# every run (more when many run at once) and runs hbrun's own code 20-50
# times slower, so two knobs loosen the time bounds, which all stay:
# HBRUN_TIME_SLACK, seconds added to an asserted upper bound that includes
# hbrun's start-up (upper()); HBRUN_TIME_SCALE, a factor for the safety
# timeouts of waits on many hbruns at once (scaled()).
WRAPPER = shlex.split(os.environ.get("HBRUN_WRAPPER", ""))
TIME_SCALE = max(1.0, float(os.environ.get("HBRUN_TIME_SCALE", "") or 1))
TIME_SLACK = max(0.0, float(os.environ.get("HBRUN_TIME_SLACK", "") or 0))
UNDER_VALGRIND = bool(WRAPPER) and os.path.basename(WRAPPER[0]).startswith("valgrind")
# What valgrind adds to the environment of the programs hbrun starts.
WRAPPER_ENV = {"LD_PRELOAD": ""} if UNDER_VALGRIND else {}
# The command name of a running hbrun, as /proc/PID/status shows it.
COMM = "memcheck-amd64-" if UNDER_VALGRIND else "hbrun"
VALGRIND_REPORT = re.compile(r"^==\d+== ", re.M)


def upper(seconds):
    """An asserted upper time bound of SECONDS, plus the wrapper's slack."""
    return seconds + TIME_SLACK


def scaled(seconds):
    """A safety timeout of SECONDS, stretched under a slow wrapper."""
    return seconds * TIME_SCALE


def sample(cases, keep):
    """CASES (a table of like rows: the same code with other values), or
    under valgrind KEEP of them spread over the table, its first and last
    among them.  Every row costs a second or more of memcheck's start-up
    there, and the plain and ASan passes run them all."""
    cases = list(cases)
    if not UNDER_VALGRIND or len(cases) <= keep:
        return cases
    if keep <= 1:
        return cases[:1]
    picked = sorted({round(i * (len(cases) - 1) / (keep - 1)) for i in range(keep)})
    return [cases[i] for i in picked]


def process_times(pid):
    """(cpu, waiting) of PID, running or exited and not reaped yet (os.waitid
    with WNOWAIT): seconds it and the children it reaped spent on a CPU, and
    seconds it was ready to run but waited for a CPU.  Neither is anything
    hbrun chose to wait for: they are the machine's speed (and the
    wrapper's) and its load, so a time bound leaves them out."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            waiting = int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        waiting = 0.0  # a kernel without scheduler statistics
    return cpu, waiting


# The exit clock: a helper process that notes when each process it is told
# of has ended (a pidfd turns readable when its process exits, before it is
# reaped).  A process of its own, mostly asleep: a busy machine wakes it at
# once, while a thread of the test, behind the interpreter's lock and the
# test's other threads, can be woken seconds late.
_EXIT_CLOCK = r"""
import os, select, sys, time
poller, pids, buf = select.poll(), {}, b""
poller.register(0, select.POLLIN)
while True:
    for fd, _ in poller.poll():
        if fd != 0:
            t = time.clock_gettime(time.CLOCK_BOOTTIME)
            poller.unregister(fd)
            os.close(fd)
            print(pids.pop(fd), t, flush=True)
            continue
        data = os.read(0, 4096)
        if not data:
            sys.exit(0)
        *lines, buf = (buf + data).split(b"\n")
        for line in lines:
            try:
                fd = os.pidfd_open(int(line))
            except OSError:  # reaped already: the clock cannot tell
                print(int(line), -1, flush=True)
                continue
            pids[fd] = int(line)
            poller.register(fd, select.POLLIN)
"""


class ExitClock:
    """clock.watch(pid) right after starting it; clock.ended(pid) once it
    has exited (before it is reaped): the CLOCK_BOOTTIME it ended at."""

    def __init__(self):
        self._p = subprocess.Popen([sys.executable, "-c", _EXIT_CLOCK], text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._times = {}
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self._p.stdout:
            pid, t = line.split()
            with self._cond:
                self._times[int(pid)] = float(t)
                self._cond.notify_all()

    def watch(self, pid):
        with self._cond:
            self._times.pop(pid, None)
            self._p.stdin.write("%d\n" % pid)
            self._p.stdin.flush()

    def ended(self, pid, timeout=10.0):
        """When PID ended (now, if the clock did not say within TIMEOUT)."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._times, timeout)
            t = self._times.pop(pid, -1)
        return t if t >= 0 else time.clock_gettime(time.CLOCK_BOOTTIME)


_clock = None
_clock_lock = threading.Lock()


def exit_clock():
    """The test process's ExitClock, started on first use.  One only, even
    when many threads start their hbruns at once: a pid watched by a clock
    other than the one asked would be waited for in vain."""
    global _clock
    with _clock_lock:
        if _clock is None:
            _clock = ExitClock()
        return _clock


def start_time(pid):
    """The CLOCK_BOOTTIME at which PID started (to 1/CLK_TCK s)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


def wait_exited(pid, timeout=None):
    """Wait until PID has exited, leaving it unreaped; False on TIMEOUT."""
    if timeout is None:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # blocks, GIL released
        return True
    end = time.monotonic() + timeout
    while True:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.02)


def without_wrapper_env(env):
    """ENV (a job's environment) less what the wrapper added to it."""
    return {k: v for k, v in env.items() if WRAPPER_ENV.get(k, object()) != v}


class Sandbox:
    """A temporary HOME with an empty hbrun config; removed on close."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hbrun-test-")
        os.chmod(self.dir, 0o755)
        self.xdg = os.path.join(self.dir, "xdg")
        os.makedirs(os.path.join(self.xdg, "hbrun"))
        self.config = os.path.join(self.xdg, "hbrun", "hbrun.conf")
        self.write_config("")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_config(self, text, mode=0o600):
        return self.write_file(self.config, text, mode)

    def write_file(self, path, text, mode=0o600):
        if not os.path.isabs(path):
            path = self.path(path)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def env(self, **extra):
        env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
        env.update(SANITIZER_ENV)
        env.update(HOME=self.dir, XDG_CONFIG_HOME=self.xdg, LC_ALL="C")
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Result:
    def __init__(self, returncode, stdout, stderr, elapsed):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    def lines(self):
        """stderr as a list of lines."""
        return [l for l in self.stderr.splitlines() if l]

    def __repr__(self):
        return ("Result(rc=%r, %.2fs, stdout=%r, stderr=%r)"
                % (self.returncode, self.elapsed, self.stdout, self.stderr))


def command(args):
    """The argv that runs hbrun with ARGS (under $HBRUN_WRAPPER, if set)."""
    return WRAPPER + [HBRUN] + list(args)


def run(args, env, timeout=60, input=None, prefix=(), **kw):
    """Run hbrun with ARGS; return a Result (text stdout/stderr, wall time).

    PREFIX is put before hbrun (for example unshare's words)."""
    start = time.monotonic()
    p = subprocess.run(list(prefix) + command(args), env=env, input=input,
                       stdout=kw.pop("stdout", subprocess.PIPE),
                       stderr=kw.pop("stderr", subprocess.PIPE),
                       timeout=timeout, text=True, **kw)
    res = Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start)
    if UNDER_VALGRIND and isinstance(res.stderr, str) and VALGRIND_REPORT.search(res.stderr):
        raise AssertionError("valgrind found errors in hbrun %s:\n%s" % (args, res.stderr))
    return res


def run_timed(args, env, timeout=60):
    """run(), and Result.idle: the seconds hbrun was neither on a CPU nor
    waiting for one (process_times) -- what it waited for itself (the job,
    the network, a backoff, a deadline).  A time bound on that holds on a
    slow or busy machine, and under valgrind."""
    t0 = time.monotonic()
    p = start(args, env)
    exit_clock().watch(p.pid)
    if not wait_exited(p.pid, timeout):
        p.kill()
        p.communicate()
        raise subprocess.TimeoutExpired(command(args), timeout)
    lived = exit_clock().ended(p.pid) - start_time(p.pid)
    cpu, waiting = process_times(p.pid)
    out, err = p.communicate()  # hbrun's lines fit in the pipes: it never blocked
    res = Result(p.returncode, out, err, time.monotonic() - t0)
    res.idle = lived - cpu - waiting
    if UNDER_VALGRIND and VALGRIND_REPORT.search(res.stderr):
        raise AssertionError("valgrind found errors in hbrun %s:\n%s" % (args, res.stderr))
    return res


def start(args, env, prefix=(), **kw):
    """Start hbrun with ARGS in the background; return the Popen."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(list(prefix) + command(args), env=env, text=True, **kw)


def leaks(text, secret, shown=4):
    """The pieces of SECRET longer than SHOWN characters that TEXT holds."""
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})
