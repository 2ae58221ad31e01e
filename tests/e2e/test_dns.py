"""The ping deadline holds even while a DNS lookup is stuck.

Each test runs hbrun in network and mount namespaces of its own (as root),
where /etc/resolv.conf names a resolver on 127.0.0.1 that takes queries and
never answers, so libcurl's resolver thread blocks for as long as glibc
lets it (here 30 s a try, 5 tries).  hbrun must still end by
--ping-deadline, with the job's status.
"""

import os
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from namespaces import can_unshare  # noqa: E402
from servercase import ServerCase  # noqa: E402

# A resolver that reads every query (UDP and TCP) and answers none.
BLACKHOLE = textwrap.dedent(r'''
    import socket, sys, threading
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 53))
    t.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(t.accept()) for _ in range(16)],
                     daemon=True).start()
    open(sys.argv[1], "w").close()
    for _ in range(1000):
        u.recvfrom(4096)
''')

INSIDE = textwrap.dedent(r'''
    set -e
    ip link set lo up
    mount --bind "$SANDBOX/resolv.conf" /etc/resolv.conf
    python3 "$SANDBOX/blackhole.py" "$SANDBOX/ready" </dev/null >/dev/null 2>&1 &
    resolver=$!
    i=0
    while [ ! -e "$SANDBOX/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
    start=$(date +%s%N)
    set +e
    "$@"
    rc=$?
    end=$(date +%s%N)
    kill $resolver
    echo "elapsed_ms=$(( (end - start) / 1000000 ))"
    exit $rc
''')


@unittest.skipUnless(can_unshare("--net", "--mount"), "needs root for network namespaces")
class StuckResolver(ServerCase):
    def setUp(self):
        super().setUp()
        self.sb.write_file("resolv.conf",
                           "nameserver 127.0.0.1\noptions timeout:30 attempts:5\n",
                           0o644)
        self.sb.write_file("blackhole.py", BLACKHOLE, 0o644)
        self.sb.write_file("inside.sh", INSIDE, 0o755)

    def run_inside(self, args, wrap=True):
        env = self.sb.env(SANDBOX=self.sb.dir)
        p = subprocess.run(
            ["unshare", "--net", "--mount", "sh", self.sb.path("inside.sh")]
            + (harness.command(args) if wrap else args),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=60)
        elapsed = None
        for line in p.stdout.splitlines():
            if line.startswith("elapsed_ms="):
                elapsed = int(line.split("=")[1]) / 1000.0
        self.assertIsNotNone(elapsed, p.stdout + p.stderr)
        return p, elapsed

    def test_deadline_ends_a_stuck_lookup(self):
        p, elapsed = self.run_inside(
            ["-v", "-t", "tok-dns-1", "--ping-deadline", "3",
             "--api-url", "https://api.tickstem.test/v1", "--", "true"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(elapsed, 2.5, p.stderr)
        self.assertLess(elapsed, harness.upper(4.5), p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.startswith("hbrun: ")]
        self.assertTrue(any("ping attempt 1" in l for l in lines), p.stderr)
        self.assertTrue(any("failed after" in l for l in lines), p.stderr)
        self.assertNotIn("tok-dns-1", p.stderr)

    def test_job_status_survives_a_stuck_lookup(self):
        # A failed job sends no ping, so ends at once; a successful job's
        # status comes back once the deadline has ended the lookup.
        p, elapsed = self.run_inside(
            ["-q", "-t", "tok", "--ping-deadline", "2",
             "--api-url", "https://api.tickstem.test/v1", "--",
             "sh", "-c", "exit 0"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, "")
        self.assertLess(elapsed, harness.upper(3.5))
        p, elapsed = self.run_inside(
            ["-t", "tok", "--ping-deadline", "2",
             "--api-url", "https://api.tickstem.test/v1", "--",
             "sh", "-c", "exit 9"])
        self.assertEqual(p.returncode, 9)
        self.assertLess(elapsed, harness.upper(1.0))

    def test_stop_signal_ends_a_stuck_lookup(self):
        # hbrun runs in the background inside; a SIGTERM 1 s into the ping
        # phase must end it within a second, long before the deadline.
        p, elapsed = self.run_inside(
            ["sh", "-c",
             '"$0" "$@" & pid=$!; sleep 1.5; kill -TERM $pid; wait $pid',
             harness.HBRUN, "-t", "tok", "--ping-deadline", "30",
             "--api-url", "https://api.tickstem.test/v1", "--",
             "sleep", "0.3"], wrap=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(elapsed, harness.upper(3.0), p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
