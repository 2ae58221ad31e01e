"""End-to-end tests of the ping over https (SPEC section 4) with the real hbrun.

Certificates come from a test CA made with openssl at test time; servers
are FakeAPIs on 127.0.0.1.  TLS verification is always on: a certificate
that does not verify is one attempt (no retry), one clear line, and the
job's exit status all the same.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_tls.py
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
from fakeapi import PROXIED_NAME  # noqa: E402
from harness import HBRUN, run_timed, scaled, upper  # noqa: E402
from servercase import TLSServerCase  # noqa: E402

TOKEN = "Tk9sWq2ZxR7mVb4NpL8cJd3F"
OK = ("status", 200, {}, b'{"status":"ok"}')
TLS_REASON = r"(?i)certificate|ssl|tls|verif|issuer|expired|host ?name|subject"
# A certificate whose issuer the hashed CA folder does not hold is checked
# once more with the CA bundle before it is refused (hbrun(1)): two
# handshakes in one attempt where libcurl's folder is hashed (Debian's
# /etc/ssl/certs).  An expired one, or one for another name, gets one.
HASHED = any(re.fullmatch(r"[0-9a-f]{8}\.[0-9]+", n) for n in os.listdir("/etc/ssl/certs")) \
    if os.path.isdir("/etc/ssl/certs") else False
ISSUER_HANDSHAKES = 2 if HASHED else 1
# Under valgrind a handshake that verifies against the system's CAs takes
# about 2 s of memcheck: the limits of an attempt and of the ping are
# stretched (scaled()), so a slow handshake is not taken for a timeout.
ATTEMPT = scaled(2)
FAST = ("--ping-retries", "3", "--ping-timeout", "%g" % ATTEMPT,
        "--ping-deadline", "%g" % scaled(10))


def version():
    import subprocess
    out = subprocess.run([HBRUN, "--version"], stdout=subprocess.PIPE, text=True,
                         timeout=10).stdout
    return out.splitlines()[0].split()[1]


def leaks(text, secret, shown=4):
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})


class TLSCase(TLSServerCase):
    CERTS = {
        "ca": certs.ca(),
        "other_ca": certs.ca(name="some other CA"),
        "good": certs.signed("ca"),
        "proxied": certs.signed("ca", hosts=(PROXIED_NAME,), name="proxied"),
        "wrong_host": certs.signed("ca", hosts=("other.example",), name="wronghost"),
        "expired": certs.signed("ca", name="expired", expired=True),
        "self_signed": certs.self_signed(),
    }

    def proxy(self):
        """A CONNECT proxy on 127.0.0.1."""
        return self.server([("tunnel",)], max_requests=10)

    def ping(self, srv, *opts, url=None, job=("true",), env=None):
        args = ["-t", TOKEN, "--api-url", url or srv.url] + list(opts) + ["--"] + list(job)
        return run_timed(args, env or self.sb.env(), timeout=60)

    def tunnel_env(self):
        """An environment whose https_proxy is a CONNECT tunnel to 127.0.0.1."""
        proxy = self.proxy()
        return self.sb.env(https_proxy=proxy.base)

    def assertSilent(self, res):
        self.assertEqual((res.stdout, res.stderr), ("", ""), res)

    def assertRefusedOnce(self, srv, res, origin=None, handshakes=1):
        """One attempt (of HANDSHAKES connections), no request, one
        failure line about TLS."""
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "")
        srv.wait_connections(handshakes, 1)
        self.assertEqual(srv.connections, handshakes, "retried a TLS failure? %r" % (res,))
        self.assertEqual(srv.requests, [])
        lines = res.lines()
        self.assertEqual(len(lines), 1, res)
        m = re.match(r"^hbrun: ping to (\S+) failed after (\d+) attempts?: (.+)$", lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(m.group(1), origin or srv.base)
        self.assertEqual(m.group(2), "1")
        self.assertRegex(m.group(3), TLS_REASON)
        self.assertEqual(leaks(res.stderr, TOKEN), [])
        # One attempt at most, then no backoff and no waiting out the
        # deadline: what hbrun waited for itself (its time on or waiting for
        # a CPU -- valgrind's slow handshake, a busy machine -- aside).
        self.assertLess(res.idle, ATTEMPT + upper(1.0), (res, res.idle))


class TestTrusted(TLSCase):
    def test_https_with_cacert(self):
        srv = self.server(tls=self.good)
        self.assertTrue(srv.url.startswith("https://127.0.0.1:"))
        res = self.ping(srv, "--cacert", self.ca[0])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        (r,) = srv.requests
        self.assertEqual((r.method, r.target), ("POST", "/v1/heartbeats/%s/ping" % TOKEN))
        self.assertEqual(r.headers.get("content-length"), "0")
        self.assertEqual(r.headers.get("user-agent"), "hbrun/" + version())
        self.assertNotIn("authorization", r.headers)
        self.assertEqual(r.body, b"")
        self.assertEqual(srv.tls_errors, [])

    def test_https_localhost_name(self):
        # Through the tunnel, so that nothing but 127.0.0.1 is connected
        # to, while the certificate is checked against the name localhost.
        srv = self.server(tls=self.good)
        res = self.ping(srv, "--cacert", self.ca[0], env=self.tunnel_env(),
                        url="https://localhost:%d/v1" % srv.port)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 1)

    def test_self_signed_trusted_with_cacert(self):
        srv = self.server(tls=self.self_signed)
        res = self.ping(srv, "--cacert", self.self_signed[0])
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 1)

    def test_transient_errors_retried_over_tls(self):
        srv = self.server([("reset",), ("status", 503, {}, b""), OK], tls=self.good)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(len(srv.requests), 3)

    def test_hang_over_tls_ends_by_deadline(self):
        srv = self.server([("hang",)], tls=self.good)
        res = self.ping(srv, "--cacert", self.ca[0], "--ping-timeout", "30",
                        "--ping-deadline", "1.5")
        self.assertEqual(res.returncode, 0, res)
        self.assertGreaterEqual(res.elapsed, 1.4, res)
        self.assertLessEqual(res.idle, upper(1.5 + 1.0), (res, res.idle))
        self.assertEqual(len(srv.requests), 1)
        self.assertEqual(len(res.lines()), 1, res)

    def test_stalled_handshake_ends_by_deadline(self):
        # TCP accepted by the backlog, no ServerHello ever
        srv = self.server(listen_only=True)
        url = "https://127.0.0.1:%d/v1" % srv.port
        res = self.ping(srv, "--cacert", self.ca[0], "--ping-timeout", "30",
                        "--ping-deadline", "1.5", url=url)
        self.assertEqual(res.returncode, 0, res)
        self.assertGreaterEqual(res.elapsed, 1.4, res)
        self.assertLessEqual(res.idle, upper(1.5 + 1.0), (res, res.idle))
        self.assertEqual(len(res.lines()), 1, res)

    def test_https_proxy_tunnel(self):
        srv = self.server(tls=self.proxied)
        proxy = self.proxy()
        env = self.sb.env(https_proxy=proxy.base, HTTPS_PROXY=proxy.base)
        url = "https://%s:%d/v1" % (PROXIED_NAME, srv.port)
        res = self.ping(srv, "--cacert", self.ca[0], env=env, url=url)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual([(r.method, r.target) for r in proxy.requests],
                         [("CONNECT", "%s:%d" % (PROXIED_NAME, srv.port))])
        self.assertEqual([r.target for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN])

    def test_loopback_https_never_through_the_proxy(self):
        srv = self.server(tls=self.good)
        proxy = self.proxy()
        env = self.sb.env(https_proxy=proxy.base, HTTPS_PROXY=proxy.base)
        res = self.ping(srv, "--cacert", self.ca[0], env=env)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(proxy.requests, [])
        self.assertEqual([r.target for r in srv.requests],
                         ["/v1/heartbeats/%s/ping" % TOKEN])


class TestRefused(TLSCase):
    def test_unknown_ca_without_cacert(self):
        srv = self.server(tls=self.good)
        res = self.ping(srv, *FAST)
        self.assertRefusedOnce(srv, res, handshakes=ISSUER_HANDSHAKES)

    def test_cacert_of_another_ca(self):
        srv = self.server(tls=self.good)
        res = self.ping(srv, "--cacert", self.other_ca[0], *FAST)
        self.assertRefusedOnce(srv, res, handshakes=ISSUER_HANDSHAKES)

    def test_self_signed(self):
        srv = self.server(tls=self.self_signed)
        for opts in ((), ("--cacert", self.ca[0])):
            with self.subTest(opts=opts):
                s = self.server(tls=self.self_signed)
                res = self.ping(s, *(opts + FAST))
                self.assertRefusedOnce(s, res, handshakes=ISSUER_HANDSHAKES)
        self.assertEqual(srv.connections, 0)

    def test_wrong_host(self):
        srv = self.server(tls=self.wrong_host)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST)
        self.assertRefusedOnce(srv, res)

    def test_wrong_host_by_name(self):
        # the certificate is for other.example, not for localhost either
        srv = self.server(tls=self.wrong_host)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST, env=self.tunnel_env(),
                        url="https://localhost:%d/v1" % srv.port)
        self.assertRefusedOnce(srv, res, origin="https://localhost:%d" % srv.port)

    def test_expired(self):
        srv = self.server(tls=self.expired)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST)
        self.assertRefusedOnce(srv, res)

    def test_job_status_kept(self):
        srv = self.server(tls=self.wrong_host)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST, job=("sh", "-c", "exit 0"))
        self.assertEqual(res.returncode, 0, res)
        res = self.ping(srv, "--cacert", self.ca[0], *FAST, job=("sh", "-c", "exit 7"))
        self.assertEqual(res.returncode, 7, res)
        self.assertEqual(srv.connections, 1)  # the failed job made no ping at all

    def test_quiet(self):
        srv = self.server(tls=self.expired)
        res = self.ping(srv, "-q", "--cacert", self.ca[0], *FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertSilent(res)
        self.assertEqual(srv.connections, 1)

    def test_verbose_one_attempt(self):
        srv = self.server(tls=self.expired)
        res = self.ping(srv, "-v", "--cacert", self.ca[0], *FAST)
        self.assertEqual(res.returncode, 0, res)
        attempts = [l for l in res.lines() if l.startswith("hbrun: ping attempt ")]
        self.assertEqual(len(attempts), 1, res)
        self.assertEqual(srv.connections, 1)
        self.assertEqual(leaks(res.stderr, TOKEN), [])

    def test_missing_cacert_file(self):
        srv = self.server(tls=self.good)
        res = self.ping(srv, "--cacert", os.path.join(self.dir, "no-such-ca.pem"), *FAST)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "")
        self.assertEqual(srv.requests, [])
        self.assertLessEqual(srv.connections, 1)
        self.assertGreaterEqual(len(res.lines()), 1, res)
        for line in res.lines():
            self.assertTrue(line.startswith("hbrun: "), res)
        self.assertLess(res.idle, ATTEMPT + upper(1.0), (res, res.idle))


if __name__ == "__main__":
    unittest.main(verbosity=2)
