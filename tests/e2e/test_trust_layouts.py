"""The system's trust layout by layout, each verdict compared with the curl
idiom's (curl -fsS -X POST URL) on the same machine, as hbrun(1) promises:
the union of the CA bundle and the hashed folder, SSL_CERT_FILE and
SSL_CERT_DIR naming them where set.

hbrun trusts the hashed folder first and reads the bundle only before it
would refuse a certificate; these layouts are the ones where the folder
alone would say no and the bundle yes (a CA appended to the bundle alone, a
bundle mounted over the stock one as a Kubernetes pod gets a corporate CA),
and those the two variables make.  Each runs in a private mount namespace
(unshare -m) with the test bundle or folder bound over /etc/ssl/certs or
its bundle; servers are FakeAPIs on 127.0.0.1.

    HBRUN=build/src/hbrun/hbrun HBCTL=build/src/hbctl/hbctl python3 tests/e2e/test_trust_layouts.py
"""

import glob
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
import trust_store  # noqa: E402
import harness  # noqa: E402
from harness import WRAPPER, run, scaled  # noqa: E402
from servercase import TLSServerCase  # noqa: E402

TOKEN = "LaY0uTqW2xZ5mVb4NpL8cJd3"
FAST = ("--ping-retries", "0", "--ping-timeout", "%g" % scaled(10),
        "--ping-deadline", "%g" % scaled(20))
CURL = shutil.which("curl")
HBCTL = os.environ.get("HBCTL", "")
WHY_NOT = trust_store.usable() or (None if CURL else "curl is not installed")
# curl's exit statuses for a refusal: a certificate not verified (60), a CA
# file it could not use (77).  Anything else is no verdict on trust.
CURL_REFUSED = (60, 77)
BUNDLE_PATH = os.path.join(trust_store.CERTS, trust_store.BUNDLE)


def bind(pairs):
    """Words for a command run in a mount namespace of its own with each
    (source, target) of PAIRS bound over its target."""
    script = "".join('mount --bind "%s" "%s" && ' % p for p in pairs) + 'exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh"]


@unittest.skipIf(WHY_NOT, WHY_NOT)
class Layouts(TLSServerCase):
    CERTS = {
        "corp_ca": certs.ca(name="hbrun corporate test CA"),
        "other_ca": certs.ca(name="hbrun other test CA"),
        "by_corp": certs.signed("corp_ca", name="bycorp"),
        "by_other": certs.signed("other_ca", name="byother"),
    }
    max_requests = 40

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.chmod(cls.dir, 0o755)
        d = cls.dir
        corp = [cls.corp_ca[0]]
        # The stock store with the corporate CA appended to its bundle only.
        cls.appended = trust_store.make(d, corp, in_folder=False, name="appended")
        # A bundle of its own: the stock bundle and the corporate CA.
        cls.bundle = os.path.join(d, "corp-bundle.crt")
        with open(cls.bundle, "w") as out:
            for f in (BUNDLE_PATH, cls.corp_ca[0]):
                with open(f) as src:
                    out.write(src.read())
        # A hashed folder holding the corporate CA alone.
        cls.folder = os.path.join(d, "corp-folder")
        os.mkdir(cls.folder)
        shutil.copy(cls.corp_ca[0], os.path.join(cls.folder, "corp.pem"))
        subprocess.run(["openssl", "rehash", cls.folder], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The same CA in a folder without links by hash.
        cls.unhashed = os.path.join(d, "corp-unhashed")
        os.mkdir(cls.unhashed)
        shutil.copy(cls.corp_ca[0], os.path.join(cls.unhashed, "corp.pem"))
        for path in (cls.folder, cls.unhashed):
            os.chmod(path, 0o755)

    # Under valgrind each https run takes seconds: memcheck sees the two
    # paths (the folder alone, then the bundle; a named bundle read whole)
    # in these, and the verdicts of the rest are the plain and ASan builds'.
    VALGRIND_KEEP = ("test_ca_appended_to_the_bundle_alone", "test_ssl_cert_file")

    def setUp(self):
        super().setUp()
        if harness.UNDER_VALGRIND and self._testMethodName not in self.VALGRIND_KEEP:
            self.skipTest("under valgrind, only %s" % (", ".join(self.VALGRIND_KEEP) or "none"))

    def hbrun(self, srv, prefix, env, *opts):
        """True when hbrun's ping got through, False when TLS refused it."""
        before = len(srv.requests)
        res = run(["-t", TOKEN, "--api-url", srv.url] + list(FAST) + list(opts)
                  + ["--", "true"], env, timeout=scaled(60), prefix=prefix)
        self.assertEqual(res.returncode, 0, res)
        if len(srv.requests) > before:
            self.assertEqual(res.stderr, "", res)
            return True
        self.assertEqual(len(res.lines()), 1, res)
        self.assertRegex(res.lines()[0], r"(?i)^hbrun: ping to \S+ failed after 1 attempt: "
                         r".*(certificate|ssl|tls|verif|issuer|CA bundle)")
        return False

    def curl(self, srv, prefix, env):
        url = srv.url + "/heartbeats/%s/ping" % TOKEN
        p = subprocess.run(list(prefix) + [CURL, "-fsS", "-X", "POST", "-o", "/dev/null", url],
                           env=env, timeout=60, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            self.assertIn(p.returncode, CURL_REFUSED, p.stderr)
        return p.returncode == 0

    def same(self, prefix=(), expect=(True, False), **env_extra):
        """hbrun's and curl's verdicts on a certificate of the corporate CA
        and on one of a CA in no store: equal, and as EXPECTed."""
        env = self.sb.env(**env_extra)
        for cert, verdict in ((self.by_corp, expect[0]), (self.by_other, expect[1])):
            with self.subTest(cert=os.path.basename(cert[0])):
                srv = self.server(tls=cert)
                self.assertEqual((self.hbrun(srv, prefix, env), self.curl(srv, prefix, env)),
                                 (verdict, verdict))

    def test_ca_appended_to_the_bundle_alone(self):
        # update-ca-certificates not run, or a CA added by `cat >>`: the
        # folder has no link to it, the bundle has it.
        self.same(trust_store.prefix(self.appended))

    def test_bundle_mounted_over_the_stock_one(self):
        # A Kubernetes pod's ConfigMap bound over ca-certificates.crt; the
        # stock hashed folder stays.
        self.same(bind([(self.bundle, BUNDLE_PATH)]))

    def test_ssl_cert_file(self):
        self.same(SSL_CERT_FILE=self.bundle)

    def test_ssl_cert_file_without_the_ca_folder_with_it(self):
        # SSL_CERT_FILE names the bundle, not the whole trust: the folder
        # still counts.
        stock = os.path.join(self.dir, "stock.crt")
        shutil.copy(BUNDLE_PATH, stock)
        os.chmod(stock, 0o644)
        store = trust_store.make(self.dir, [self.corp_ca[0]], name="folder-has-it")
        self.same(trust_store.prefix(store), SSL_CERT_FILE=stock)

    def test_ssl_cert_file_missing(self):
        # Named but not there: curl refuses everything (77); so does hbrun,
        # never falling back to a guess.
        self.same(trust_store.prefix(self.appended), expect=(False, False),
                  SSL_CERT_FILE=os.path.join(self.dir, "no-such.crt"))

    def test_ssl_cert_dir(self):
        self.same(SSL_CERT_DIR=self.folder)

    def test_ssl_cert_dir_list(self):
        # OpenSSL reads a list separated by colons, as Go does.
        self.same(SSL_CERT_DIR="%s:%s" % (self.unhashed, self.folder))

    def test_ssl_cert_dir_without_links_by_hash(self):
        # OpenSSL looks a CA up by its subject's hash: a folder of PEM files
        # alone trusts nothing, for curl as for hbrun.
        self.same(expect=(False, False), SSL_CERT_DIR=self.unhashed)

    def test_ssl_cert_dir_beside_an_appended_bundle(self):
        self.same(trust_store.prefix(self.appended), SSL_CERT_DIR=self.unhashed)

    def test_empty_variables_are_unset(self):
        self.same(trust_store.prefix(self.appended), SSL_CERT_FILE="", SSL_CERT_DIR="")

    def test_deliberate_folder_without_its_bundle(self):
        # The hashed folder with no ca-certificates.crt beside it: curl
        # (OpenSSL) refuses every certificate for the missing file (77);
        # hbrun, as Go, goes by the folder, and a certificate it refuses is
        # refused for its issuer, not for the missing bundle.
        store = trust_store.make(self.dir, [self.corp_ca[0]], name="no-bundle")
        os.unlink(os.path.join(store, trust_store.BUNDLE))
        env = self.sb.env()
        prefix = trust_store.prefix(store)
        for cert, verdict in ((self.by_corp, True), (self.by_other, False)):
            with self.subTest(cert=os.path.basename(cert[0])):
                srv = self.server(tls=cert)
                self.assertEqual((self.hbrun(srv, prefix, env), self.curl(srv, prefix, env)),
                                 (verdict, False))
        srv = self.server(tls=self.by_other)
        res = run(["-t", TOKEN, "--api-url", srv.url] + list(FAST) + ["--", "true"], env,
                  timeout=scaled(60), prefix=prefix)
        self.assertRegex(res.stderr, r"(?i)issuer")

    def test_cacert_adds_to_an_appended_bundle(self):
        # curl's --cacert replaces the bundle; hbrun's adds to the system's
        # trust (hbrun(1)): no comparison with curl here, by design.
        env = self.sb.env()
        for cert in (self.by_corp, self.by_other):
            with self.subTest(cert=os.path.basename(cert[0])):
                srv = self.server(tls=cert)
                self.assertTrue(self.hbrun(srv, trust_store.prefix(self.appended), env,
                                           "--cacert", self.other_ca[0]))

    def test_check_says_the_same(self):
        # --check's TLS handshake goes by the same trust.
        srv = self.server(tls=self.by_corp)
        res = run(["--check", "-t", TOKEN, "--api-url", srv.url], self.sb.env(),
                  timeout=scaled(60), prefix=bind([(self.bundle, BUNDLE_PATH)]))
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(srv.requests, [])

    @unittest.skipUnless(HBCTL, "HBCTL is not set")
    def test_hbctl_same_trust(self):
        srv = self.server(tls=self.by_corp)
        env = self.sb.env(TICKSTEM_API_KEY="tk_live_LayoutKey1234567")
        p = subprocess.run(bind([(self.bundle, BUNDLE_PATH)]) + WRAPPER
                           + [HBCTL, "--api-url", srv.url, "list"], env=env,
                           timeout=scaled(60), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(len(srv.requests), 1, p.stderr)


def libcurl_files(pattern):
    return sorted(glob.glob("/usr/lib/*/" + pattern) + glob.glob("/usr/lib64/" + pattern))


GNUTLS = libcurl_files("libcurl-gnutls.so.4")


@unittest.skipIf(WHY_NOT, WHY_NOT)
@unittest.skipUnless(GNUTLS, "libcurl-gnutls.so.4 is not installed")
class GnuTLSLayouts(Layouts):
    """The same, with the libcurl that cannot take CA certificates from
    memory (GnuTLS), which hbrun loads where libcurl.so.4 is missing: the
    files are named to it by their paths (and GnuTLS reads every file of a
    CA folder, the bundle among them).  curl itself cannot run there (its
    libcurl is hidden): hbrun's verdicts alone, each the one the OpenSSL
    flavour gave curl above.  (Not under valgrind: the OpenSSL flavour's
    kept cases run the same code of hbrun's.)"""
    VALGRIND_KEEP = ()

    def gnutls(self, binds):
        empty = self.sb.write_file("empty.so", "", 0o644)
        return bind([(empty, f) for f in libcurl_files("libcurl.so.4*")] + binds)

    def verdicts(self, binds, *opts):
        env = self.sb.env()
        out = []
        for cert in (self.by_corp, self.by_other):
            srv = self.server(tls=cert)
            out.append(self.hbrun(srv, self.gnutls(binds), env, *opts))
        return out

    def test_ca_appended_to_the_bundle_alone(self):
        self.assertEqual(self.verdicts([(self.appended, trust_store.CERTS)]), [True, False])

    def test_bundle_mounted_over_the_stock_one(self):
        self.assertEqual(self.verdicts([(self.bundle, BUNDLE_PATH)]), [True, False])

    def test_cacert_beside_an_appended_bundle(self):
        self.assertEqual(self.verdicts([(self.appended, trust_store.CERTS)],
                                       "--cacert", self.other_ca[0]), [True, True])

    # The cases of the class above that compare with curl do not apply.
    test_ssl_cert_file = test_ssl_cert_file_without_the_ca_folder_with_it = None
    test_ssl_cert_file_missing = test_ssl_cert_dir = test_ssl_cert_dir_list = None
    test_ssl_cert_dir_without_links_by_hash = None
    test_ssl_cert_dir_beside_an_appended_bundle = test_empty_variables_are_unset = None
    test_cacert_adds_to_an_appended_bundle = test_check_says_the_same = None
    test_deliberate_folder_without_its_bundle = None
    test_hbctl_same_trust = None


class RelativeCacert(TLSServerCase):
    """A relative cacert in a config file is relative to the file's folder,
    as token_file and lock are; on the command line, to the current one."""
    CERTS = {"ca": certs.ca(name="hbrun relative test CA"),
             "good": certs.signed("ca", name="relgood")}

    def test_relative_to_the_config_folder(self):
        srv = self.server(tls=self.good)
        confdir = self.sb.path("conf")
        os.mkdir(confdir)
        shutil.copy(self.ca[0], os.path.join(confdir, "ca.pem"))
        conf = os.path.join(confdir, "hbrun.conf")
        with open(conf, "w") as f:
            f.write("token = %s\napi_url = %s\ncacert = ca.pem\n" % (TOKEN, srv.url))
        os.chmod(conf, 0o600)
        elsewhere = self.sb.path("cwd")
        os.mkdir(elsewhere)
        res = run(["-c", conf] + list(FAST) + ["--", "true"], self.sb.env(),
                  timeout=scaled(60), cwd=elsewhere)
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(srv.requests), 1)

    def test_relative_on_the_command_line_is_the_current_folder(self):
        srv = self.server(tls=self.good)
        here = self.sb.path("cwd2")
        os.mkdir(here)
        shutil.copy(self.ca[0], os.path.join(here, "ca.pem"))
        res = run(["-t", TOKEN, "--api-url", srv.url, "--cacert", "ca.pem"] + list(FAST)
                  + ["--", "true"], self.sb.env(), timeout=scaled(60), cwd=here)
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(srv.requests), 1)


class HbctlKeyLog(TLSServerCase):
    """hbctl writes no TLS secrets to $SSLKEYLOGFILE: with them, a recorded
    call would show the API key."""
    CERTS = {"ca": certs.ca(name="hbrun keylog test CA"),
             "good": certs.signed("ca", name="keylog")}

    @unittest.skipUnless(HBCTL, "HBCTL is not set")
    def test_no_key_log(self):
        srv = self.server(tls=self.good)
        keylog = self.sb.path("keys.log")
        env = self.sb.env(SSLKEYLOGFILE=keylog, TICKSTEM_API_KEY="tk_live_KeyLogKey12345678")
        p = subprocess.run(WRAPPER + [HBCTL, "--api-url", srv.url, "--cacert", self.ca[0],
                                      "list"], env=env, timeout=scaled(60),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(len(srv.requests), 1, p.stderr)
        self.assertFalse(os.path.exists(keylog), "TLS secrets written to SSLKEYLOGFILE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
