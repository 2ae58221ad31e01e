"""Small job programs and /proc look-ups for the process-behaviour tests.

A job here is a short Python (or shell) program that hbrun runs and that
reports what it saw -- its signals, descriptors, environment -- into files
of the test's sandbox, so that the test can read them back afterwards.
"""

import fcntl
import json
import os
import sys
import time

PYTHON = sys.executable

# The job that counts signals.  argv: REPORT READY STOP SIGNALS [EXIT]
# It handles every signal in SIGNALS (comma-separated numbers) and counts
# each delivery; after each one it rewrites REPORT ({"signum": count, ...}).
# Once its handlers are in place it creates READY; it exits with EXIT
# (default 0) when STOP appears.
#
# Deliveries are counted through signal.set_wakeup_fd, which gets one byte
# per delivery from the C-level handler: Python's own handlers would run once
# for two deliveries that came before the interpreter got round to them.
_SIGNAL_JOB = r'''
import json, os, select, signal, sys
report, ready, stop, sigs = sys.argv[1:5]
code = int(sys.argv[5]) if len(sys.argv) > 5 else 0
counts = {}
r, w = os.pipe()
os.set_blocking(w, False)
os.set_blocking(r, False)
signal.set_wakeup_fd(w, warn_on_full_buffer=False)
for s in sigs.split(","):
    signal.signal(int(s), lambda signum, frame: None)
def drain():
    try:
        data = os.read(r, 4096)
    except (BlockingIOError, InterruptedError):
        return
    for b in data:
        counts[b] = counts.get(b, 0) + 1
    tmp = report + ".tmp"
    with open(tmp, "w") as f:
        json.dump(counts, f)
    os.replace(tmp, report)
open(ready, "w").close()
while not os.path.exists(stop):
    try:
        select.select([r], [], [], 0.01)
    except InterruptedError:
        pass
    drain()
drain()
sys.exit(code)
'''


def wait_for(predicate, timeout, interval=0.01):
    """Poll PREDICATE until it is true; return its last value."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval)


class SignalJob:
    """Paths and argv of one signal-counting job in SANDBOX."""

    def __init__(self, sandbox, signals, exit_code=0, name="sigjob"):
        self.script = sandbox.write_file(name + ".py", _SIGNAL_JOB, 0o644)
        self.report = sandbox.path(name + ".report")
        self.ready = sandbox.path(name + ".ready")
        self.stopfile = sandbox.path(name + ".stop")
        self.argv = [PYTHON, self.script, self.report, self.ready, self.stopfile,
                     ",".join(str(int(s)) for s in signals), str(exit_code)]

    def wait_ready(self, timeout=10):
        return wait_for(lambda: os.path.exists(self.ready), timeout)

    def counts(self):
        """{signum: count} of the signals the job handled so far."""
        try:
            with open(self.report) as f:
                return {int(k): v for k, v in json.load(f).items()}
        except FileNotFoundError:
            return {}

    def wait_count(self, signum, n=1, timeout=5):
        return wait_for(lambda: self.counts().get(int(signum), 0) >= n, timeout)

    def stop(self):
        open(self.stopfile, "w").close()


def proc_status(pid):
    """/proc/PID/status as a dict of strings ({} when PID is gone)."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def children(pid):
    """Pids whose parent is PID."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_status(int(name))
        if st.get("PPid") == str(pid):
            out.append(int(name))
    return out


def wait_child(pid, comm=None, timeout=10):
    """The first child of PID (whose command name is COMM, if given), or None."""
    def find():
        for c in children(pid):
            if comm is None or proc_status(c).get("Name") == comm:
                return c
        return None
    return wait_for(find, timeout)


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read()


def sig_mask(hexmask):
    """The set of signal numbers in a SigBlk/SigIgn hex mask."""
    v = int(hexmask, 16)
    return {n for n in range(1, 65) if v & (1 << (n - 1))}


def lock_held(path):
    """Whether another process holds PATH's flock.  hbrun takes its lock
    after it has blocked its signals (it reads them from a signalfd), and
    before the random delay: so held means ready for signals."""
    try:
        with open(path) as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True


# A job that prints its run id (HBRUN_RUN_ID), then exits with STATUS.
SAY_RUN_ID = 'printf %s "$HBRUN_RUN_ID"; exit "$1"'


def run_id_job(status=0):
    return ["sh", "-c", SAY_RUN_ID, "job", str(status)]
