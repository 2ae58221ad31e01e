"""hbrun trusts what the system trusts, plus --cacert: the same verdicts as
the curl idiom (curl -fsS -X POST URL), certificate by certificate.

hbrun verifies against libcurl's hashed CA folder (/etc/ssl/certs) rather
than parsing the whole bundle on every run; these tests show that this
changes no verdict.  A test CA is added to the system's store only inside a
private mount namespace (tests/support/trust_store.py): a copy of
/etc/ssl/certs, rehashed, with the bundle regenerated, bound over the real
one for each command.  Servers are FakeAPIs on 127.0.0.1.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_trust.py
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
import trust_store  # noqa: E402
from harness import run, scaled  # noqa: E402
from servercase import TLSServerCase  # noqa: E402

TOKEN = "Tr8sTqW2xZ5mVb4NpL8cJd3F"
TLS_REASON = r"(?i)certificate|ssl|tls|verif|issuer|expired|host ?name|subject"
FAST = ("--ping-retries", "2", "--ping-timeout", "%g" % scaled(5),
        "--ping-deadline", "%g" % scaled(20))
CURL = shutil.which("curl")
WHY_NOT = trust_store.usable() or (None if CURL else "curl is not installed")
CURL_PEER_FAILED = 60  # curl's exit status for a certificate it refused


@unittest.skipIf(WHY_NOT, WHY_NOT)
class TrustCase(TLSServerCase):
    CERTS = {
        "system_ca": certs.ca(name="hbrun system test CA"),
        "extra_ca": certs.ca(name="hbrun extra test CA"),
        "unknown_ca": certs.ca(name="hbrun unknown test CA"),
        "good": certs.signed("system_ca", name="good"),
        "expired": certs.signed("system_ca", name="expired", expired=True),
        "wrong_host": certs.signed("system_ca", name="wronghost", hosts=("other.example",)),
        "by_extra": certs.signed("extra_ca", name="byextra"),
        "by_unknown": certs.signed("unknown_ca", name="byunknown"),
    }
    max_requests = 20
    hashed = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.chmod(cls.dir, 0o755)
        # A copy of the system's store with the system CA added.
        cls.store = trust_store.make(cls.dir, [cls.system_ca[0]], hashed=cls.hashed)
        cls.prefix = trust_store.prefix(cls.store)

    def server(self, cert):
        """An https server with CERT, the certificate judged."""
        return super().server(tls=cert)

    def hbrun(self, srv, *opts, prefix=None):
        """True when hbrun's ping got through, False when TLS refused it."""
        args = ["-t", TOKEN, "--api-url", srv.url] + list(FAST) + list(opts)
        before = len(srv.requests)
        res = run(args + ["--", "true"], self.sb.env(), timeout=scaled(60),
                  prefix=self.prefix if prefix is None else prefix)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "", res)
        if len(srv.requests) > before:
            self.assertEqual(res.stderr, "", res)
            return True
        self.assertEqual(len(res.lines()), 1, res)
        self.assertRegex(res.lines()[0], r"^hbrun: ping to \S+ failed after 1 attempt: ")
        self.assertRegex(res.lines()[0], TLS_REASON)
        return False

    def curl(self, srv, *opts):
        """The idiom's verdict, run seeing the same store."""
        url = srv.url + "/heartbeats/%s/ping" % TOKEN
        p = subprocess.run(self.prefix + [CURL, "-fsS", "-X", "POST", "-o", "/dev/null"]
                           + list(opts) + [url], env=self.sb.env(), timeout=60,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            self.assertEqual(p.returncode, CURL_PEER_FAILED, p.stderr)
        return p.returncode == 0

    def verdicts(self, cert, *opts):
        """(hbrun's, curl's) verdicts on a server with CERT."""
        srv = self.server(cert)
        return self.hbrun(srv, *opts), self.curl(srv, *opts)


class TestSameVerdicts(TrustCase):
    """With the hashed folder that libcurl names (Debian's /etc/ssl/certs)."""

    def test_ca_in_system_store_trusted(self):
        self.assertEqual(self.verdicts(self.good), (True, True))

    def test_ca_not_in_system_store_refused(self):
        self.assertEqual(self.verdicts(self.by_unknown), (False, False))

    def test_expired_refused(self):
        self.assertEqual(self.verdicts(self.expired), (False, False))

    def test_wrong_host_refused(self):
        self.assertEqual(self.verdicts(self.wrong_host), (False, False))

    def test_cacert_trusted(self):
        self.assertEqual(self.verdicts(self.by_extra, "--cacert", self.extra_ca[0]),
                         (True, True))

    def test_cacert_adds_to_the_system_store(self):
        # CURLOPT_CAINFO_BLOB and the folder are both searched
        self.assertEqual(self.verdicts(self.good, "--cacert", self.extra_ca[0]),
                         (True, True))

    def test_cacert_of_another_ca_refused(self):
        self.assertEqual(self.verdicts(self.by_unknown, "--cacert", self.extra_ca[0]),
                         (False, False))

    def test_without_cacert_its_ca_is_not_trusted(self):
        self.assertEqual(self.verdicts(self.by_extra), (False, False))

    def test_test_ca_unknown_outside_the_namespace(self):
        # the host's own store never saw the test CA
        srv = self.server(self.good)
        self.assertFalse(self.hbrun(srv, prefix=()))


class TestBundleNotParsed(TrustCase):
    """The bundle is not read where the hashed folder stands for it: a
    bundle that OpenSSL cannot parse changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.store, trust_store.BUNDLE), "w") as f:
            f.write("not a certificate\n")

    def test_folder_alone_verifies(self):
        self.assertTrue(self.hbrun(self.server(self.good)))
        self.assertFalse(self.hbrun(self.server(self.by_unknown)))

    def test_folder_and_cacert(self):
        for cert in (self.good, self.by_extra):
            with self.subTest(cert=os.path.basename(cert[0])):
                self.assertTrue(self.hbrun(self.server(cert),
                                           "--cacert", self.extra_ca[0]))


class TestWithoutHashedFolder(TrustCase):
    """A store that is a bundle alone, with no links by hash (the Fedora
    family's libcurl has no CA folder): hbrun uses the bundle, and puts it
    and --cacert together so that the file still adds to it."""
    hashed = False

    def test_same_verdicts(self):
        for cert, verdict in ((self.good, True), (self.by_unknown, False),
                              (self.expired, False), (self.wrong_host, False)):
            with self.subTest(cert=os.path.basename(cert[0])):
                self.assertEqual(self.verdicts(cert), (verdict, verdict))

    def test_cacert_adds_to_the_bundle(self):
        # Where curl's --cacert replaces the bundle, hbrun's adds to it.
        for cert in (self.good, self.by_extra):
            with self.subTest(cert=os.path.basename(cert[0])):
                self.assertTrue(self.hbrun(self.server(cert),
                                           "--cacert", self.extra_ca[0]))
        self.assertFalse(self.hbrun(self.server(self.by_unknown),
                                    "--cacert", self.extra_ca[0]))


class TestCAFile(TrustCase):
    """--cacert names a regular file, read by hbrun (links followed)."""

    def refused_at_once(self, path, reason):
        srv = self.server(self.by_extra)
        res = run(["-t", TOKEN, "--api-url", srv.url, "--cacert", path] + list(FAST)
                  + ["--", "sh", "-c", "exit 0"], self.sb.env(), timeout=scaled(60),
                  prefix=self.prefix)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(srv.connections, 0, res)
        self.assertEqual(len(res.lines()), 1, res)
        self.assertRegex(res.lines()[0],
                         r"^hbrun: ping to \S+ failed after 1 attempt: (TLS: )?CA file %s: %s$"
                         % (path, reason))

    def test_fifo_never_blocks(self):
        fifo = self.sb.path("ca.fifo")
        os.mkfifo(fifo)
        self.refused_at_once(fifo, "not a regular file")

    def test_folder(self):
        self.refused_at_once(self.sb.dir, "not a regular file")

    def test_symbolic_link_followed(self):
        link = self.sb.path("ca-link.pem")
        os.symlink(self.extra_ca[0], link)
        self.assertTrue(self.hbrun(self.server(self.by_extra), "--cacert", link))


def libcurl_files(pattern):
    return sorted(glob.glob("/usr/lib/*/" + pattern) + glob.glob("/usr/lib64/" + pattern))


GNUTLS = libcurl_files("libcurl-gnutls.so.4")


@unittest.skipUnless(GNUTLS, "libcurl-gnutls.so.4 is not installed")
class TestGnuTLSFlavour(TrustCase):
    """A libcurl that cannot take CA certificates from memory (GnuTLS) is
    given the checked file's name, and the folder keeps the system's CAs."""

    def setUp(self):
        super().setUp()
        empty = self.sb.write_file("empty.so", "", 0o644)
        hide = "".join('mount --bind "%s" "%s" && ' % (empty, f)
                       for f in libcurl_files("libcurl.so.4*"))
        self.prefix = ["unshare", "--mount", "sh", "-c",
                       hide + 'mount --bind "$0" %s && exec "$@"' % trust_store.CERTS,
                       self.store]

    def test_gnutls_flavour_is_what_loads(self):
        srv = self.server(self.good)
        res = run(["-t", TOKEN, "--api-url", srv.url, "--", "true"],
                  self.sb.env(LD_DEBUG="files"), timeout=scaled(60), prefix=self.prefix)
        self.assertEqual(res.returncode, 0, res)
        inits = re.findall(r"calling init: (\S*libcurl\S*)", res.stderr)
        self.assertEqual([os.path.basename(f) for f in inits], ["libcurl-gnutls.so.4"])

    def test_cacert_adds_to_the_folder(self):
        for cert in (self.good, self.by_extra):
            with self.subTest(cert=os.path.basename(cert[0])):
                self.assertTrue(self.hbrun(self.server(cert),
                                           "--cacert", self.extra_ca[0]))
        self.assertFalse(self.hbrun(self.server(self.by_unknown),
                                    "--cacert", self.extra_ca[0]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
