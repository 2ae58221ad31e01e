"""A TestCase with a private Sandbox and fake API servers stopped for it;
TLSServerCase adds the test certificates its class declares."""

import shutil
import tempfile
import unittest

import certs
from fakeapi import FakeAPI
from harness import Sandbox


class ServerCase(unittest.TestCase):
    maxDiff = None
    # The most requests a server answers unless the call says otherwise: a
    # bound on what a runaway retry loop could send.  A class that needs
    # more (many hbruns at once) or wants fewer says so here.
    max_requests = 100
    # The server class self.server() starts: a FakeAPI subclass where a
    # test needs answers the plans cannot give.
    api_class = FakeAPI

    def setUp(self):
        self.sb = Sandbox()
        self.addCleanup(self.sb.close)

    def server(self, plan=None, tls=None, **kw):
        """A started api_class (https with TLS, a (cert, key) pair),
        answering at most max_requests requests unless told, stopped at the
        end of the test."""
        kw.setdefault("max_requests", self.max_requests)
        srv = self.api_class(plan=plan, tls=tls, **kw).start()
        self.addCleanup(srv.stop)
        return srv


class TLSServerCase(ServerCase):
    """A ServerCase with the certificates its class lists in CERTS (a table
    for certs.make_all), made once for the class in a temporary folder,
    cls.dir, removed after it.  Each is a class attribute by its name in the
    table, a (cert_path, key_path) pair:

        class Case(TLSServerCase):
            CERTS = {"ca": certs.ca(), "good": certs.signed("ca")}

            def test_it(self):
                srv = self.server(tls=self.good)  # trusted with --cacert self.ca[0]
    """
    CERTS = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="hbrun-certs-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        for name, pair in certs.make_all(cls.dir, cls.CERTS).items():
            setattr(cls, name, pair)
