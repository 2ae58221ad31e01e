"""hbrun's uptime-kuma preset against a real Uptime Kuma (npm uptime-kuma
2.0.0-dev.0, tests/support/kuma.py) on 127.0.0.1: a succeeding and a
failing job, the beats Kuma stored asserted.  Skipped, with the reason,
where node, npm or the install is not available.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_kuma.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import kuma  # noqa: E402
from harness import run  # noqa: E402
from servercase import ServerCase  # noqa: E402

PUSH_TOKEN = "hbrunPushTok3n"


class UptimeKuma(ServerCase):
    @classmethod
    def setUpClass(cls):
        why = kuma.unavailable()
        if why:
            raise unittest.SkipTest("Uptime Kuma not available: " + why)
        # One real Kuma for the class, not the fake: node takes seconds to
        # start it and set up the monitor; each test counts its own beats.
        cls.kuma = kuma.Kuma(PUSH_TOKEN)
        try:
            cls.kuma.start()
        except Exception:
            cls.kuma.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.kuma.stop()

    def hbrun(self, *job, token=PUSH_TOKEN):
        return run(["--service", "uptime-kuma", "--api-url", self.kuma.base, "-t", token,
                    "--ping-deadline", "20", "--"] + list(job), self.sb.env(), timeout=60)

    def test_success_then_failure_are_stored(self):
        before = len(self.kuma.beats())
        res = self.hbrun("sleep", "0.2")
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        res = self.hbrun("sh", "-c", "sleep 0.1; exit 3")
        self.assertEqual((res.returncode, res.stderr), (3, ""), res)
        beats = self.kuma.beats()[before:]
        self.assertEqual([(s, m) for s, m, _ in beats],
                         [(1, "OK"), (0, "exit status 3")])
        up_ping, down_ping = beats[0][2], beats[1][2]
        # milliseconds (a count in seconds would be 0); the clock here may
        # be slewed a little against the sleep's
        self.assertGreaterEqual(up_ping, 150)
        self.assertLess(up_ping, 60000)
        self.assertGreaterEqual(down_ping, 50)
        self.assertLess(down_ping, 60000)

    def test_post_is_refused_which_is_why_the_preset_uses_get(self):
        before = len(self.kuma.beats())
        res = run(["--service", "uptime-kuma", "--method", "POST", "--api-url",
                   self.kuma.base, "-t", PUSH_TOKEN, "--", "true"], self.sb.env(), timeout=60)
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("failed after 1 attempt: HTTP 404", res.stderr)
        self.assertEqual(len(self.kuma.beats()), before)

    def test_wrong_token_is_a_404_said_once(self):
        before = len(self.kuma.beats())
        res = self.hbrun("true", token="no-such-push-token")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(res.lines()), 1, res)
        self.assertIn("failed after 1 attempt: HTTP 404", res.stderr)
        self.assertEqual(len(self.kuma.beats()), before)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    # 77: meson counts the program as skipped when every case was.
    sys.exit(77 if result.skipped and result.testsRun <= len(result.skipped) else 0)
