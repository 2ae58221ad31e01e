"""Self-test of the fake API and of the certificate helper.

Every action of FakeAPI is driven with Python's own http.client, raw
sockets and ssl, so that an end-to-end test failing can be blamed on hbrun
and not on the fake.  Runs in a few seconds; needs no hbrun binary.

    python3 tests/support/selftest_fakeapi.py
"""

import email.utils
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import certs  # noqa: E402
from fakeapi import FakeAPI, unused_port  # noqa: E402

PING = "/v1/heartbeats/tok/ping"
RAW_PING = (b"POST " + PING.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 0\r\n\r\n")


def post(srv, path=PING, body=b"", headers=None, timeout=5, context=None):
    """POST with http.client; return (status, headers, body)."""
    if context is not None:
        c = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=timeout,
                                        context=context)
    else:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        c.request("POST", path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def raw(srv, data=RAW_PING, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    if data:
        s.sendall(data)
    return s


def read_all(s):
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d


class Base(unittest.TestCase):
    def setUp(self):
        self.threads_before = set(threading.enumerate())
        self.servers = []

    def server(self, **kw):
        srv = FakeAPI(**kw).start()
        self.servers.append(srv)
        return srv

    def tearDown(self):
        for srv in self.servers:
            t = time.monotonic()
            srv.stop()
            self.assertLess(time.monotonic() - t, 2.0, "stop() was slow")
            self.assertEqual(srv.errors, [], "the fake raised inside a handler")
        left = [t for t in threading.enumerate()
                if t not in self.threads_before and t.is_alive()]
        self.assertEqual(left, [], "threads left after stop()")


class TestBasics(Base):
    def test_default_plan_and_request_record(self):
        srv = self.server()
        self.assertTrue(srv.url.startswith("http://127.0.0.1:"))
        self.assertEqual(srv.url, srv.base + "/v1")
        t0 = time.monotonic()
        st, hd, body = post(srv, body=b"", headers={"User-Agent": "x/1", "X-A": "1"})
        self.assertEqual((st, body), (200, b'{"status":"ok"}'))
        self.assertEqual(hd["Connection"], "close")
        self.assertEqual(hd["Content-Length"], str(len(body)))
        self.assertTrue(srv.wait_requests(1, 1))
        (r,) = srv.requests
        self.assertEqual(r.method, "POST")
        self.assertEqual(r.target, PING)
        self.assertEqual(r.path, PING)
        self.assertEqual(r.headers["user-agent"], "x/1")
        self.assertEqual(r.headers["content-length"], "0")
        self.assertNotIn("authorization", r.headers)
        self.assertEqual([n for n, _ in r.raw_headers][:1], ["Host"])
        self.assertIn(("X-A", "1"), r.raw_headers)
        self.assertEqual(r.body, b"")
        self.assertGreaterEqual(r.time, t0)
        self.assertEqual(srv.connections, 1)

    def test_body_content_length_and_chunked(self):
        srv = self.server()
        post(srv, body=b"hello")
        s = raw(srv, b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        self.assertTrue(read_all(s).startswith(b"HTTP/1.1 200"))
        s.close()
        self.assertEqual([r.body for r in srv.requests], [b"hello", b"abcde"])

    def test_absolute_form_target(self):
        srv = self.server()
        s = raw(srv, b"POST http://127.0.0.1:9/v1/heartbeats/a/ping HTTP/1.1\r\n"
                     b"Host: 127.0.0.1:9\r\nContent-Length: 0\r\n\r\n")
        read_all(s)
        s.close()
        (r,) = srv.requests
        self.assertEqual(r.target, "http://127.0.0.1:9/v1/heartbeats/a/ping")
        self.assertEqual(r.path, "/v1/heartbeats/a/ping")

    def test_plan_consumed_last_repeats(self):
        srv = self.server(plan=[("status", 503, {}, b""), ("status", 201, {"X-Y": "z"}, b"{}")])
        got = [post(srv)[0] for _ in range(4)]
        self.assertEqual(got, [503, 201, 201, 201])
        srv.set_plan([("status", 204, {}, b"")])
        st, hd, body = post(srv)
        self.assertEqual((st, body), (204, b""))
        self.assertIsNone(hd["Content-Length"])
        self.assertEqual(len(srv.requests), 5)
        self.assertEqual(srv.connections, 5)

    def test_short_status_action(self):
        srv = self.server(plan=[("status", 404)])
        self.assertEqual(post(srv)[0], 404)

    def test_retry_after(self):
        srv = self.server(plan=[("retry_after", 429, "2"),
                                ("retry_after", 503, lambda: email.utils.formatdate(
                                    time.time() + 3, usegmt=True))])
        st, hd, _ = post(srv)
        self.assertEqual((st, hd["Retry-After"]), (429, "2"))
        st, hd, _ = post(srv)
        self.assertEqual(st, 503)
        when = email.utils.parsedate_to_datetime(hd["Retry-After"]).timestamp()
        self.assertAlmostEqual(when, time.time() + 3, delta=1.5)

    def test_redirect(self):
        srv = self.server(plan=[("redirect", 301, "http://127.0.0.1:9/elsewhere")])
        st, hd, _ = post(srv)
        self.assertEqual((st, hd["Location"]), (301, "http://127.0.0.1:9/elsewhere"))

    def test_big(self):
        srv = self.server(plan=[("big", 3 * 1000 * 1000 + 7)])
        st, _, body = post(srv)
        self.assertEqual((st, len(body)), (200, 3 * 1000 * 1000 + 7))

    def test_slow(self):
        srv = self.server(plan=[("slow", 0.5, 202)])
        t = time.monotonic()
        self.assertEqual(post(srv)[0], 202)
        self.assertGreaterEqual(time.monotonic() - t, 0.45)

    def test_drip(self):
        srv = self.server(plan=[("drip", 0.004)])
        s = raw(srv)
        t = time.monotonic()
        n = 0
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            n += 1
            data += d
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertTrue(data.endswith(b'{"status":"ok"}'))
        self.assertGreater(n, len(data) // 2, "not sent byte by byte")
        self.assertGreaterEqual(time.monotonic() - t, 0.004 * len(data) * 0.8)


class TestFaults(Base):
    def test_hang_until_stop(self):
        srv = FakeAPI(plan=[("hang",)]).start()
        s = raw(srv, timeout=0.5)
        self.assertTrue(srv.wait_requests(1, 2))
        with self.assertRaises(socket.timeout):
            s.recv(10)
        s.settimeout(2)
        t = time.monotonic()
        srv.stop()
        self.assertLess(time.monotonic() - t, 1.0)
        self.assertEqual(s.recv(10), b"")  # stop() closed the connection
        s.close()
        self.assertEqual(srv.errors, [])

    def test_hang_with_http_client_times_out(self):
        srv = self.server(plan=[("hang",)])
        with self.assertRaises(socket.timeout):
            post(srv, timeout=0.3)

    def test_reset(self):
        srv = self.server(plan=[("reset",)])
        s = raw(srv)
        with self.assertRaises(ConnectionResetError):
            read_all(s)
        s.close()
        self.assertEqual(len(srv.requests), 1)

    def test_reset_mid(self):
        srv = self.server(plan=[("reset_mid",)])
        s = raw(srv)
        got = b""
        with self.assertRaises(ConnectionResetError):
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"), got)
        self.assertNotIn(b"\r\n\r\n", got)

    def test_stall_mid(self):
        srv = self.server(plan=[("stall_mid",)])
        s = raw(srv, timeout=0.4)
        got = b""
        with self.assertRaises(socket.timeout):
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertNotIn(b"\r\n\r\n", got)

    def test_empty(self):
        srv = self.server(plan=[("empty",)])
        s = raw(srv)
        self.assertEqual(read_all(s), b"")
        s.close()
        with self.assertRaises(http.client.RemoteDisconnected):
            post(srv)
        self.assertEqual(len(srv.requests), 2)

    def test_garbage(self):
        srv = self.server(plan=[("garbage",)])
        with self.assertRaises(http.client.BadStatusLine):
            post(srv)

    def test_max_requests(self):
        srv = self.server(max_requests=2)
        self.assertEqual(post(srv)[0], 200)
        self.assertEqual(post(srv)[0], 200)
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            post(srv)
        s = raw(srv, data=None)
        self.assertEqual(read_all(s), b"")
        s.close()
        self.assertEqual(len(srv.requests), 2)
        self.assertTrue(srv.wait_connections(4, 1))

    def test_connection_that_sends_nothing_is_counted(self):
        srv = self.server()
        s = raw(srv, data=None)
        self.assertTrue(srv.wait_connections(1, 1))
        s.close()
        self.assertEqual(srv.requests, [])

    def test_listen_only(self):
        srv = self.server(listen_only=True)
        s = raw(srv, timeout=0.3)  # connect() succeeds: the backlog takes it
        with self.assertRaises(socket.timeout):
            s.recv(10)
        s.close()
        self.assertEqual(srv.connections, 0)
        self.assertEqual(srv.requests, [])

    def test_unused_port_refuses(self):
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", unused_port()), timeout=1)

    def test_stop_wakes_everything(self):
        srv = FakeAPI(plan=[("hang",), ("stall_mid",), ("slow", 30, 200), ("drip", 5)]).start()
        socks = [raw(srv, timeout=3) for _ in range(4)]
        socks.append(raw(srv, data=None, timeout=3))          # sends nothing
        socks.append(raw(srv, data=b"POST / HTTP/1.1\r\n", timeout=3))  # half a head
        self.assertTrue(srv.wait_requests(4, 2))
        self.assertTrue(srv.wait_connections(6, 2))
        t = time.monotonic()
        srv.stop()
        self.assertLess(time.monotonic() - t, 1.0)
        for s in socks:
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
            s.close()
        self.assertEqual(srv.errors, [])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1)

    def test_context_manager(self):
        with FakeAPI() as srv:
            self.assertEqual(post(srv)[0], 200)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1)


class TestTunnel(Base):
    def test_connect_tunnel_to_loopback(self):
        target = self.server(plan=[("status", 200, {}, b"through")])
        proxy = self.server(plan=[("tunnel",)])
        c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        c.set_tunnel("127.0.0.1", target.port)
        c.request("POST", PING)
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"through"))
        c.close()
        (p,) = proxy.requests
        self.assertEqual((p.method, p.target), ("CONNECT", "127.0.0.1:%d" % target.port))
        self.assertEqual(target.requests[0].path, PING)

    def test_connect_elsewhere_refused(self):
        proxy = self.server(plan=[("tunnel",)])
        s = raw(proxy, b"CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1:443\r\n\r\n")
        self.assertTrue(read_all(s).startswith(b"HTTP/1.1 403"))
        s.close()


class TestTLS(Base):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fakeapi-certs-")
        cls.ca = certs.make_ca(cls.dir)
        cls.cert = certs.make_cert(cls.dir, cls.ca)
        cls.expired = certs.make_cert(cls.dir, cls.ca, name="expired", expired=True)
        cls.wrong = certs.make_cert(cls.dir, cls.ca, hosts=("other.example",), name="wrong")
        cls.selfsigned = certs.make_self_signed(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ctx(self, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        return ctx

    def test_https_request(self):
        srv = self.server(tls=self.cert)
        self.assertTrue(srv.url.startswith("https://127.0.0.1:"))
        st, _, body = post(srv, context=self.ctx(self.ca[0]))
        self.assertEqual((st, body), (200, b'{"status":"ok"}'))
        self.assertEqual(srv.requests[0].path, PING)
        # localhost and ::1 are in the certificate too
        ctx = self.ctx(self.ca[0])
        with socket.create_connection(("127.0.0.1", srv.port), timeout=2) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                self.assertEqual(t.version()[:3], "TLS")
        self.assertEqual(srv.tls_errors, [])

    def test_tls_faults(self):
        srv = self.server(tls=self.cert, plan=[("reset",), ("empty",), ("hang",)])
        ctx = self.ctx(self.ca[0])
        with self.assertRaises((ConnectionResetError, ssl.SSLError)):
            post(srv, context=ctx)
        with self.assertRaises((http.client.RemoteDisconnected, ssl.SSLError)):
            post(srv, context=ctx)
        with self.assertRaises(socket.timeout):
            post(srv, context=ctx, timeout=0.3)

    def _rejected(self, srv, cafile, hostname="127.0.0.1"):
        ctx = self.ctx(cafile)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=2) as s:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(s, server_hostname=hostname)

    def test_rejected_certificates_do_not_crash_the_server(self):
        srv = self.server(tls=self.cert)
        self._rejected(srv, None)  # system CAs only: unknown CA
        self.assertTrue(srv.wait_connections(1, 1))
        for cert in (self.expired, self.wrong, self.selfsigned):
            bad = self.server(tls=cert)
            self._rejected(bad, self.ca[0])
        good = self.server(tls=self.selfsigned)
        self.assertEqual(post(good, context=self.ctx(self.selfsigned[0]))[0], 200)
        # the first server still answers
        self.assertEqual(post(srv, context=self.ctx(self.ca[0]))[0], 200)
        self.assertEqual(srv.connections, 2)
        self.assertEqual(len(srv.requests), 1)
        deadline = time.monotonic() + 1
        while not srv.tls_errors and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(srv.tls_errors), 1)

    def test_plain_client_to_tls_server(self):
        srv = self.server(tls=self.cert)
        s = raw(srv)
        try:
            data = read_all(s)
        except ConnectionResetError:
            data = b""
        s.close()
        self.assertFalse(data.startswith(b"HTTP/"))
        self.assertEqual(srv.requests, [])

    def test_certificate_dates(self):
        # -checkend 0 exits 1 for a certificate that is no longer valid
        p = subprocess.run(["openssl", "x509", "-in", self.expired[0], "-noout",
                            "-checkend", "0"], capture_output=True)
        self.assertEqual(p.returncode, 1)
        p = subprocess.run(["openssl", "x509", "-in", self.cert[0], "-noout",
                            "-checkend", "86400"], capture_output=True)
        self.assertEqual(p.returncode, 0)

if __name__ == "__main__":
    unittest.main(verbosity=2)
