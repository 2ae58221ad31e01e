"""A TestCase with a private Sandbox and fake API servers stopped for it."""

import unittest

from fakeapi import FakeAPI
from harness import Sandbox


class ServerCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.sb = Sandbox()
        self.addCleanup(self.sb.close)

    def server(self, plan=None, **kw):
        """A started FakeAPI (at most 100 requests unless told), stopped at
        the end of the test."""
        kw.setdefault("max_requests", 100)
        srv = FakeAPI(plan=plan, **kw).start()
        self.addCleanup(srv.stop)
        return srv
