"""What a reply tells hbrun beyond its status: a paused Tickstem heartbeat
(200 {"status":"paused"}: delivered, said once unless -q), and a
Ping-Body-Limit (the server keeps no more of a body: later attempts send
only that much of the output's end).  And a CRLF script, named as such.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_replies.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from fakeapi import HeartbeatStore  # noqa: E402
from harness import run  # noqa: E402
from servercase import ServerCase  # noqa: E402

FAST = ["--ping-retries", "2", "--ping-deadline", "20"]
OK = ("status", 200, {}, b"OK")


class Paused(ServerCase):
    def setUp(self):
        super().setUp()
        self.store = HeartbeatStore()
        self.hb = self.store.add(status="paused")
        self.srv = self.server(store=self.store)

    def ping(self, *extra):
        return run(["-t", self.hb["token"], "--api-url", self.srv.url] + FAST + list(extra)
                   + ["--", "true"], self.sb.env())

    def test_paused_heartbeat_said_once(self):
        res = self.ping()
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(self.srv.requests), 1)
        self.assertEqual(len(res.lines()), 1, res)
        self.assertRegex(res.lines()[0], r"^hbrun: ping to \S+ delivered, but the heartbeat "
                                         r"is paused: no alert comes while it is$")
        self.assertNotIn(self.hb["token"], res.stderr)

    def test_quiet(self):
        res = self.ping("-q")
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(self.srv.requests), 1)

    def test_active_heartbeat_says_nothing(self):
        hb = self.store.add(name="active")
        res = run(["-t", hb["token"], "--api-url", self.srv.url, "--", "true"], self.sb.env())
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)

    def test_a_job_that_failed_is_not_turned_into_a_ping(self):
        res = run(["-t", self.hb["token"], "--api-url", self.srv.url, "--", "false"],
                  self.sb.env())
        self.assertEqual((res.returncode, res.stderr), (1, ""), res)
        self.assertEqual(self.srv.requests, [])


class BodyLimit(ServerCase):
    """healthchecks answers any request with Ping-Body-Limit; a retry after
    a 503 that named one sends the output's last LIMIT bytes."""

    def args(self, srv, size):
        return ["--send-output", str(size), "--ping-url", srv.base + "/ok",
                "--fail-url", srv.base + "/fail"] + FAST

    def test_limit_of_a_failed_attempt_applies_to_the_next(self):
        srv = self.server(plan=[("status", 503, {"Ping-Body-Limit": "5"}, b""), OK])
        res = run(self.args(srv, 100) + ["--", "sh", "-c", "echo hello-world"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual([r.body for r in srv.requests], [b"hello-world\n", b"orld\n"])

    def test_limit_zero_sends_an_empty_body(self):
        srv = self.server(plan=[("status", 503, {"Ping-Body-Limit": "0"}, b""), OK])
        res = run(self.args(srv, 100) + ["--", "sh", "-c", "echo hi; exit 3"], self.sb.env())
        self.assertEqual(res.returncode, 3, res)
        self.assertEqual([(r.target, r.body) for r in srv.requests],
                         [("/fail", b"hi\n"), ("/fail", b"")])

    def test_a_larger_limit_changes_nothing(self):
        srv = self.server(plan=[("status", 503, {"Ping-Body-Limit": "1000"}, b""), OK])
        res = run(self.args(srv, 100) + ["--", "sh", "-c", "echo hello"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual([r.body for r in srv.requests], [b"hello\n", b"hello\n"])

    def test_garbage_limit_ignored(self):
        for value in ("-1", "x", ""):
            with self.subTest(value=value):
                srv = self.server(plan=[("status", 503, {"Ping-Body-Limit": value}, b""), OK])
                res = run(self.args(srv, 100) + ["--", "sh", "-c", "echo hello"],
                          self.sb.env())
                self.assertEqual(res.returncode, 0, res)
                self.assertEqual([r.body for r in srv.requests], [b"hello\n", b"hello\n"])


class CRLFScript(ServerCase):
    @unittest.skipIf(harness.UNDER_VALGRIND, "valgrind handles the exec of a "
                     "script itself, and ends with its own status")
    def test_stray_carriage_return_named(self):
        script = self.sb.write_file("job.sh", "#!/bin/sh\r\necho hi\r\n", 0o755)
        res = run(["-q", "--", script], self.sb.env())
        self.assertEqual(res.returncode, 127, res)
        self.assertEqual(res.lines(), ["hbrun: cannot run '%s': its #! line names '/bin/sh' "
                                       "followed by a stray CR (\\r): the script has CRLF "
                                       "line ends" % script])


if __name__ == "__main__":
    unittest.main(verbosity=2)
