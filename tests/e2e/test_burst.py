"""A burst of concurrent wrapped jobs, as when many crontab lines fire in the
same minute: every one exits 0 and sends exactly its own ping.

SPEC sections 3 and 4.
"""

import collections
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from harness import UNDER_VALGRIND, scaled, start  # noqa: E402
from servercase import ServerCase  # noqa: E402

# Under valgrind, 20: memcheck is there for hbrun's memory, and 100 of it
# at once would be minutes of start-up (test_load.py is the load test).
N = 20 if UNDER_VALGRIND else 100


class Burst(ServerCase):
    max_requests = 1000  # N pings, with room for any retried

    def burst(self, srv, job, prefix):
        env = self.sb.env()
        procs = []
        try:
            for i in range(N):
                procs.append(start(["-t", "%s-%03d" % (prefix, i), "--api-url", srv.url,
                                    "--"] + job, env))
            outs = [p.communicate(timeout=scaled(60)) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs)]

    def test_hundred_concurrent_jobs_hundred_pings(self):
        srv = self.server(backlog=256)
        results = self.burst(srv, ["true"], "burst")
        bad = [(i, r) for i, r in enumerate(results) if r != (0, "", "")]
        self.assertEqual(bad, [])
        self.assertTrue(srv.wait_requests(N, scaled(5)))
        paths = collections.Counter(r.path for r in srv.requests)
        want = collections.Counter("/v1/heartbeats/burst-%03d/ping" % i for i in range(N))
        self.assertEqual(paths, want)
        self.assertTrue(all(r.method == "POST" for r in srv.requests))

    def test_mixed_exit_statuses_ping_only_the_successes(self):
        # Job i exits i % 3: only those exiting 0 ping, each once.
        srv = self.server(backlog=256)
        env = self.sb.env()
        procs = []
        try:
            for i in range(N):
                procs.append(start(["-t", "mixed-%03d" % i, "--api-url", srv.url, "--",
                                    "sh", "-c", "exit %d" % (i % 3)], env))
            for p in procs:
                p.communicate(timeout=scaled(60))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        self.assertEqual([p.returncode for p in procs], [i % 3 for i in range(N)])
        want = collections.Counter("/v1/heartbeats/mixed-%03d/ping" % i
                                   for i in range(N) if i % 3 == 0)
        srv.wait_requests(len(want), scaled(5))
        self.assertEqual(collections.Counter(r.path for r in srv.requests), want)


if __name__ == "__main__":
    unittest.main(verbosity=2)
