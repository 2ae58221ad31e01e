"""A waiting hbrun sleeps: it wakes for a signal, the job's end, the
timeout's next phase, the job's output or the start request's network
traffic, never to look at a clock (src/hbrun/loop.c).

Each case starts hbrun with a combination of settings, every one of them
at once first (timeout, kill-after, lock, random delay, a start request to a
server that never answers, send-output), waits until the job is up and the
start request has arrived, then counts hbrun's context switches
(/proc/PID/task/*/status, voluntary and not) over a quiet 3 s.  A loop that
woke every 50 ms would switch about 60 times; the bound is a handful, for
the odd preemption, not a time.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_wakeups.py
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from harness import command, scaled  # noqa: E402
from servercase import ServerCase  # noqa: E402

QUIET = 3.0
BOUND = 5
OK = ("status", 200, {}, b"OK")


def switches(pid):
    """Context switches of every thread of PID so far."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches",
                                    "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


class Wakeups(ServerCase):
    def settings(self, name, srv, folder):
        """The options of case NAME."""
        start = ["--start-url", srv.base + "/start", "--ping-timeout", "30",
                 "--ping-deadline", "60"]
        timeout = ["--timeout", "120", "--kill-after", "5"]
        output = ["--send-output", "100"]
        every = (timeout + output + start +
                 ["--lock", os.path.join(folder, "lock"), "--random-delay", "0.01"])
        return {"every option": every, "timeout and output": timeout + output,
                "timeout and start": timeout + start, "start and output": start + output,
                "none": []}[name]

    def test_no_periodic_wakeup_while_waiting(self):
        names = ["every option", "timeout and output", "timeout and start",
                 "start and output", "none"]
        runs = {}
        starts = {name: "start" in name or name == "every option" for name in names}
        for name in names:
            srv = self.server(plan=[("hang",), OK] if starts[name] else [OK])
            argv = command(self.settings(name, srv, self.sb.path("")) + [
                "--ping-url", srv.base + "/ok", "--",
                "sh", "-c", "echo up; read x"])
            p = subprocess.Popen(argv, env=self.sb.env(), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(lambda p=p: p.poll() is None and p.kill())
            runs[name] = (p, srv)
        for name, (p, srv) in runs.items():
            self.assertEqual(p.stdout.readline(), b"up\n", name)
            if starts[name]:
                self.assertTrue(srv.wait_requests(1, scaled(10)), name)
        time.sleep(0.3)  # the start request's sending settles
        before = {name: switches(p.pid) for name, (p, _) in runs.items()}
        time.sleep(QUIET)
        woke = {name: switches(p.pid) - before[name] for name, (p, _) in runs.items()}
        print("context switches over %.0f s: %s" % (QUIET, woke), file=sys.stderr)
        for name, (p, srv) in runs.items():
            out, err = p.communicate(b"\n", timeout=scaled(30))
            self.assertEqual(p.returncode, 0, (name, err))
        self.assertEqual(woke, {name: min(woke[name], BOUND) for name in names},
                         "context switches over %.0f s of waiting, by case" % QUIET)


if __name__ == "__main__":
    unittest.main(verbosity=2)
