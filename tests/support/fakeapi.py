"""A fake Tickstem API: a real HTTP/1.1 server on 127.0.0.1 for the tests.

It is written on raw sockets (no http.server) so that a test can make it
misbehave in the ways a real network does: hang, reset, stall half-way,
drip, send garbage.  It runs in background threads inside the test process
and only ever listens on, and connects to, 127.0.0.1.

    with FakeAPI(plan=[("status", 503, {}, b""), ("status", 200, {}, b"")]) as srv:
        ... run hbrun --api-url srv.url ...
        srv.requests            # what arrived, in order
        srv.connections         # TCP connections accepted

A *plan* is a list of actions consumed one per request; the last one
repeats.  Actions (tuples):

    ("status", code, headers, body)   a normal reply (Content-Length, Connection: close)
    ("retry_after", code, value)      reply CODE with "Retry-After: VALUE" (VALUE may be
                                      a callable, called when the reply is sent)
    ("hang",)                         read the request, never answer
    ("slow", seconds, code)           wait, then answer CODE
    ("reset",)                        read the request, then close with RST
    ("reset_mid",)                    send part of the reply head, then RST
    ("stall_mid",)                    send part of the reply head, then hang
    ("drip", interval)                a valid 200 reply, one byte every INTERVAL s
    ("endless", interval)             a 200 head, then a body of a byte every INTERVAL s
                                      that never ends
    ("empty",)                        read the request, close without a reply
    ("garbage",)                      send non-HTTP bytes, then close
    ("redirect", code, location)      a 3xx with Location
    ("big", nbytes)                   a 200 with a body of NBYTES
    ("tunnel",)                       act as a CONNECT proxy, to 127.0.0.1 only
    ("store",)                        answer from the HeartbeatStore (below)
    ("store_lost",)                   let the store act, then reset: the reply is lost

FakeAPI(listen_only=True) listens (with a backlog, so connect() succeeds)
but never accepts.

FakeAPI(store=HeartbeatStore()) is a small Tickstem: the management calls
and the ping over an in-memory store (see HeartbeatStore).  Its plan is
[("store",)] unless one is given, so faults can still come first:
plan=[("status", 503, {}, b""), ("store",)].

Everything a handler blocks on is woken by stop(): the listening socket and
every connection are shut down and closed and the threads joined, so a test
suite neither hangs nor leaks threads.
"""

import datetime
import json
import secrets
import selectors
import socket
import ssl
import struct
import threading
import time
import urllib.parse
import uuid

__all__ = ["FakeAPI", "HeartbeatStore", "Request", "unused_port", "DEFAULT_PLAN",
           "PAUSE_MODES", "PROXIED_NAME"]

DEFAULT_PLAN = [("status", 200, {}, b'{"status":"ok"}')]

# A name that no resolver knows, which the tunnel takes for 127.0.0.1.
PROXIED_NAME = "proxied.hbrun.test"

REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other",
    307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 409: "Conflict", 410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}

MAX_HEAD = 64 * 1024
POLL = 0.05  # seconds: how often a blocked handler looks at the stop flag


def unused_port():
    """A TCP port on 127.0.0.1 where nothing listens (connect: refused).

    The port was bound and closed again; another process could take it in
    between, which on a test machine is rare enough."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class Request:
    """One request as the server received it."""

    def __init__(self, method, target, version, raw_headers, body, t, head):
        self.method = method
        self.target = target
        self.version = version
        self.raw_headers = raw_headers
        self.headers = {}
        for name, value in raw_headers:
            key = name.lower()
            if key in self.headers:
                self.headers[key] += ", " + value
            else:
                self.headers[key] = value
        self.body = body
        self.time = t
        self.head = head  # the request head exactly as received (bytes)
        self.path = _strip_origin(target)

    def __repr__(self):
        return "Request(%s %s, %d header(s), %d byte body)" % (
            self.method, self.target, len(self.raw_headers), len(self.body))


def _strip_origin(target):
    """'http://h:p/x?y' -> '/x?y'; an origin-form target is returned as is."""
    if "://" in target and not target.startswith("/"):
        rest = target.split("://", 1)[1]
        i = rest.find("/")
        return rest[i:] if i >= 0 else "/"
    return target


class _Stopped(Exception):
    """The server is stopping: the handler just ends."""


class _BadRequest(Exception):
    pass


class FakeAPI:
    def __init__(self, plan=None, tls=None, max_requests=1000, listen_only=False,
                 backlog=16, store=None):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.store = store
        if not plan and store is not None:
            plan = [("store",)]
        self._plan = list(plan) if plan else list(DEFAULT_PLAN)
        self._plan_index = 0
        self._requests = []
        self._connections = 0
        self._tls_errors = []
        self._errors = []  # exceptions in handlers that were not expected
        self._socks = set()
        self._threads = []
        self._cond = threading.Condition(self._lock)
        self.max_requests = max_requests
        self.listen_only = listen_only
        self.backlog = backlog
        self._ctx = None
        if tls is not None:
            certfile, keyfile = tls
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self._ctx = ctx
        self._listener = None
        self._wake_r = self._wake_w = None
        self._accept_thread = None
        self.port = None
        self.started = False

    # ---- life cycle -------------------------------------------------------

    def start(self):
        if self.started:
            return self
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(self.backlog)
        self._listener = ls
        self.port = ls.getsockname()[1]
        self.started = True
        if not self.listen_only:
            ls.setblocking(False)
            self._wake_r, self._wake_w = socket.socketpair()
            t = threading.Thread(target=self._accept_loop, name="fakeapi-accept-%d" % self.port,
                                 daemon=True)
            self._accept_thread = t
            t.start()
        return self

    def stop(self, timeout=3.0):
        """Stop accepting, wake and close every connection, join the threads."""
        if not self.started:
            return
        self._stop.set()
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"x")
            except OSError:
                pass
        with self._lock:
            socks = list(self._socks)
            self._cond.notify_all()
        for s in socks:
            _shutdown(s)
        deadline = time.monotonic() + timeout
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            socks = list(self._socks)
            self._socks.clear()
        for s in socks:
            _close(s)
        try:
            self._listener.close()
        except OSError:
            pass
        for s in (self._wake_r, self._wake_w):
            if s is not None:
                s.close()
        self.started = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- what a test looks at --------------------------------------------

    @property
    def url(self):
        return self.base + "/v1"

    @property
    def base(self):
        scheme = "https" if self._ctx is not None else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.port)

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    @property
    def connections(self):
        with self._lock:
            return self._connections

    @property
    def tls_errors(self):
        """Text of each failed server-side TLS handshake."""
        with self._lock:
            return list(self._tls_errors)

    @property
    def errors(self):
        """Unexpected exceptions in handlers (a selftest checks it is empty)."""
        with self._lock:
            return list(self._errors)

    def set_plan(self, actions):
        actions = list(actions)
        if not actions:
            raise ValueError("a plan needs at least one action")
        with self._lock:
            self._plan = actions
            self._plan_index = 0

    def wait_requests(self, n, timeout):
        """Block until at least N requests arrived; False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while len(self._requests) < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def wait_connections(self, n, timeout):
        end = time.monotonic() + timeout
        with self._cond:
            while self._connections < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # ---- the server -------------------------------------------------------

    def _accept_loop(self):
        ls = self._listener
        sel = selectors.DefaultSelector()  # not select(): no FD_SETSIZE limit
        sel.register(ls, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        try:
            self._accept_until_stopped(sel, ls)
        finally:
            sel.close()

    def _accept_until_stopped(self, sel, ls):
        while not self._stop.is_set():
            try:
                events = sel.select()
            except (OSError, ValueError):
                return
            if self._stop.is_set():
                return
            if not any(key.fileobj is ls for key, _ in events):
                continue
            try:
                conn, _ = ls.accept()
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            conn.setblocking(True)
            with self._lock:
                self._connections += 1
                over = len(self._requests) >= self.max_requests
                self._cond.notify_all()
                if not over and not self._stop.is_set():
                    self._socks.add(conn)
                    t = threading.Thread(target=self._handle, args=(conn,),
                                         name="fakeapi-conn-%d" % self.port, daemon=True)
                    self._threads = [x for x in self._threads if x.is_alive()]
                    self._threads.append(t)
                    t.start()
                    continue
            _close(conn)

    def _track(self, old, new):
        with self._lock:
            self._socks.discard(old)
            if self._stop.is_set():
                stopped = True
            else:
                self._socks.add(new)
                stopped = False
        if stopped:
            _close(new)
            raise _Stopped()

    def _handle(self, conn):
        sock = conn
        try:
            if self._ctx is not None:
                tls = self._tls_accept(conn)
                if tls is None:
                    return
                sock = tls
            buf = bytearray()
            req = self._read_request(sock, buf)
            if req is None:
                return
            with self._cond:
                over = len(self._requests) >= self.max_requests
                if not over:
                    self._requests.append(req)
                    self._cond.notify_all()
                action = self._next_action()
            if over:
                return
            self._act(sock, req, action)
        except _Stopped:
            pass
        except (OSError, ssl.SSLError):
            # The client went away (or stop() shut the socket): normal.
            pass
        except Exception as e:  # a bug in the fake itself
            with self._lock:
                self._errors.append(e)
        finally:
            with self._lock:
                self._socks.discard(sock)
                self._socks.discard(conn)
            _close(sock)

    def _tls_accept(self, conn):
        conn.settimeout(POLL)
        try:
            sock = self._ctx.wrap_socket(conn, server_side=True,
                                         do_handshake_on_connect=False)
        except (OSError, ssl.SSLError) as e:
            with self._lock:
                self._tls_errors.append(str(e))
            return None
        self._track(conn, sock)
        while True:
            if self._stop.is_set():
                raise _Stopped()
            try:
                sock.do_handshake()
                return sock
            except (socket.timeout, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ssl.SSLError) as e:
                if not self._stop.is_set():
                    with self._lock:
                        self._tls_errors.append(str(e) or type(e).__name__)
                with self._lock:
                    self._socks.discard(sock)
                _close(sock)
                return None

    def _next_action(self):
        # Called with the lock held.
        i = min(self._plan_index, len(self._plan) - 1)
        self._plan_index += 1
        return self._plan[i]

    # ---- reading ----------------------------------------------------------

    def _recv(self, sock, n=65536):
        """recv that gives up when the server stops; b'' at EOF."""
        sock.settimeout(POLL)
        while True:
            if self._stop.is_set():
                raise _Stopped()
            try:
                return sock.recv(n)
            except (socket.timeout, ssl.SSLWantReadError):
                continue

    def _read_request(self, sock, buf):
        while b"\r\n\r\n" not in buf:
            if len(buf) > MAX_HEAD:
                return None
            data = self._recv(sock)
            if not data:
                return None
            buf += data
        t = time.monotonic()
        end = buf.index(b"\r\n\r\n")
        head = bytes(buf[:end + 4])
        rest = buf[end + 4:]
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return Request("", lines[0], "", [], b"", t, head)
        method, target, version = parts
        raw = []
        for line in lines[1:]:
            if ":" not in line:
                continue
            name, value = line.split(":", 1)
            raw.append((name.strip(), value.strip()))
        hdr = {k.lower(): v for k, v in raw}
        body = b""
        if "chunked" in hdr.get("transfer-encoding", "").lower():
            body = self._read_chunked(sock, rest)
        elif "content-length" in hdr:
            try:
                n = int(hdr["content-length"])
            except ValueError:
                n = 0
            while len(rest) < n:
                data = self._recv(sock)
                if not data:
                    break
                rest += data
            body = bytes(rest[:n])
        return Request(method, target, version, raw, body, t, head)

    def _read_chunked(self, sock, rest):
        body = bytearray()
        buf = bytearray(rest)

        def line():
            while b"\r\n" not in buf:
                data = self._recv(sock)
                if not data:
                    raise _BadRequest()
                buf.extend(data)
            i = buf.index(b"\r\n")
            out = bytes(buf[:i])
            del buf[:i + 2]
            return out

        try:
            while True:
                size = int(line().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while line():
                        pass
                    return bytes(body)
                while len(buf) < size + 2:
                    data = self._recv(sock)
                    if not data:
                        raise _BadRequest()
                    buf.extend(data)
                body += buf[:size]
                del buf[:size + 2]
        except (_BadRequest, ValueError):
            return bytes(body)

    # ---- writing ----------------------------------------------------------

    def _send(self, sock, data):
        sock.settimeout(None)
        sock.sendall(data)

    def _sleep(self, seconds):
        if self._stop.wait(seconds):
            raise _Stopped()

    def _hang(self):
        self._stop.wait()
        raise _Stopped()

    @staticmethod
    def _reply(code, headers=None, body=b"", reason=None):
        if isinstance(body, str):
            body = body.encode()
        reason = reason or REASONS.get(code, "Status")
        out = ["HTTP/1.1 %d %s" % (code, reason)]
        names = set()
        for k, v in (headers or {}).items():
            out.append("%s: %s" % (k, v))
            names.add(k.lower())
        if body and "content-type" not in names:
            out.append("Content-Type: application/json")
        if code not in (204, 304) and code >= 200 and "content-length" not in names:
            out.append("Content-Length: %d" % len(body))
        if "connection" not in names:
            out.append("Connection: close")
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body

    def _act(self, sock, req, action):
        kind = action[0]
        if kind == "status":
            code = action[1]
            headers = action[2] if len(action) > 2 and action[2] else {}
            body = action[3] if len(action) > 3 and action[3] is not None else b""
            self._send(sock, self._reply(code, headers, body))
            self._linger_close(sock)
        elif kind == "retry_after":
            _, code, value = action
            if callable(value):
                value = value()
            self._send(sock, self._reply(code, {"Retry-After": str(value)}, b'{"error":"later"}'))
            self._linger_close(sock)
        elif kind == "hang":
            self._hang()
        elif kind == "slow":
            _, seconds, code = action
            self._sleep(seconds)
            self._send(sock, self._reply(code, {}, b'{"status":"ok"}'))
            self._linger_close(sock)
        elif kind == "reset":
            _rst(sock)
        elif kind == "reset_mid":
            self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: appl")
            time.sleep(0.05)
            _rst(sock)
        elif kind == "stall_mid":
            self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            self._hang()
        elif kind == "drip":
            interval = action[1]
            data = self._reply(200, {}, b'{"status":"ok"}')
            for i in range(len(data)):
                self._send(sock, data[i:i + 1])
                self._sleep(interval)
            self._linger_close(sock)
        elif kind == "endless":
            self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            while not self._stop.is_set():
                self._send(sock, b"x")
                self._sleep(action[1])
        elif kind == "empty":
            self._linger_close(sock)
        elif kind == "garbage":
            self._send(sock, b"\x00\xffSSH-2.0-not-http garbage \x01\x02\x03\r\n\r\n")
            self._linger_close(sock)
        elif kind == "redirect":
            _, code, location = action
            self._send(sock, self._reply(code, {"Location": location}, b""))
            self._linger_close(sock)
        elif kind == "big":
            n = action[1]
            head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n\r\n" % n).encode()
            self._send(sock, head)
            chunk = b"x" * 65536
            left = n
            while left > 0:
                if self._stop.is_set():
                    raise _Stopped()
                part = chunk[:min(left, len(chunk))]
                self._send(sock, part)
                left -= len(part)
            self._linger_close(sock)
        elif kind == "tunnel":
            self._tunnel(sock, req)
        elif kind in ("store", "store_lost"):
            if self.store is None:
                raise ValueError("%r needs FakeAPI(store=...)" % (action,))
            code, headers, body = self.store.handle(req)
            if kind == "store_lost":
                _rst(sock)  # the store acted; the client never hears of it
                return
            self._send(sock, self._reply(code, headers, body))
            self._linger_close(sock)
        else:
            raise ValueError("unknown action %r" % (action,))

    def _linger_close(self, sock):
        """Half-close, then drain what the client still sends for a moment,
        so that closing does not turn into an RST that eats our reply.
        Over TLS a close_notify goes first."""
        if isinstance(sock, ssl.SSLSocket):
            try:
                sock.settimeout(0.2)
                sock.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
            return
        _shutdown_write(sock)
        end = time.monotonic() + 1.0
        sock.settimeout(POLL)
        while time.monotonic() < end and not self._stop.is_set():
            try:
                if not sock.recv(65536):
                    return
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError):
                return

    def _tunnel(self, sock, req):
        if req.method != "CONNECT":
            self._send(sock, self._reply(405, {}, b'{"error":"CONNECT only"}'))
            return
        host, _, port = req.target.rpartition(":")
        # PROXIED_NAME stands for this machine: a URL hbrun must send
        # through the proxy (a loopback one never goes through it).
        if host not in ("127.0.0.1", "localhost", PROXIED_NAME) or not port.isdigit():
            # Never connect anywhere but to this machine's loopback.
            self._send(sock, self._reply(403, {}, b'{"error":"loopback only"}'))
            return
        up = socket.create_connection(("127.0.0.1", int(port)), timeout=2)
        self._track_extra(up)
        try:
            self._send(sock, b"HTTP/1.1 200 Connection established\r\n\r\n")
            sock.setblocking(True)
            up.setblocking(True)
            pair = {sock: up, up: sock}
            open_ = {sock, up}
            while open_ and not self._stop.is_set():
                with selectors.DefaultSelector() as sel:
                    for s in open_:
                        sel.register(s, selectors.EVENT_READ)
                    r = [key.fileobj for key, _ in sel.select(POLL)]
                for s in r:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        open_.discard(s)
                        _shutdown_write(pair[s])
                    else:
                        pair[s].sendall(data)
        finally:
            with self._lock:
                self._socks.discard(up)
            _close(up)

    def _track_extra(self, s):
        with self._lock:
            if self._stop.is_set():
                _close(s)
                raise _Stopped()
            self._socks.add(s)


def _shutdown(s):
    try:
        socket.socket.shutdown(s, socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


def _shutdown_write(s):
    try:
        socket.socket.shutdown(s, socket.SHUT_WR)
    except (OSError, ValueError):
        pass


def _close(s):
    if s is None:
        return
    try:
        s.close()
    except (OSError, ValueError):
        pass


def _rst(s):
    """Close with an RST instead of a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        socket.socket.close(s)  # no TLS close_notify: the RST is the point
    except OSError:
        pass


# ---- a small Tickstem -----------------------------------------------------

PLAN_LIMITS = {"free": 5, "starter": 20, "pro": 100, "business": None}
HEARTBEATS = "/v1/heartbeats"


class _Refusal(Exception):
    """An error reply: status CODE with {"error": MESSAGE}."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _later(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


PAUSE_MODES = ("both", "post", "patch", "post405", "neither")


class HeartbeatStore:
    """The Tickstem API of SPEC section 7 over an in-memory store.

    Management calls need "Authorization: Bearer API_KEY" (else 401).  The
    plan limits how many heartbeats there may be (free: 5; a sixth create
    is a 402).  Unknown ids are 404, bad values 400 (with what is wrong),
    a delete is 204 with no body, an empty list is sent as null (as the
    real API does, when NULL_LISTS), and a PATCH changes only the fields
    it holds.  The ping (no key) finds its heartbeat by token and records
    itself in the history.  Every reply is {"error": "..."} when not 2xx.

        store = HeartbeatStore(api_key="k")
        with FakeAPI(store=store) as srv: ...
        store.heartbeats          # copies, in creation order
        store.replies             # (status, body) of each reply, in order

    Pause and resume come two ways in Tickstem's clients: PATCH
    /heartbeats/ID {"status": "paused"|"active"} (the Python SDK, and the
    Node SDK's source since it reverted its POST routes as a bug), and POST
    /heartbeats/ID/pause (or /resume) with no body (the MCP server, and the
    Node SDK as published, 0.2.0).  hbctl sends the PATCH first.  The ping
    of a paused heartbeat is answered 200 {"status": "paused"} and not
    recorded.  PAUSE_MODE says which this server knows:

        "both"     both act (the default)
        "post"     POST acts; a PATCH status is taken and ignored, with a
                   200 and the heartbeat unchanged: the dangerous server,
                   where a PATCH pause "succeeds" and alerts stay on
        "patch"    PATCH acts; POST .../pause is 404 (no such endpoint)
        "post405"  PATCH acts; POST .../pause is 405
        "neither"  POST is 404 and a PATCH status is ignored

    PAUSE_REPLY "empty" makes the POST endpoints answer 204 without a body
    (after acting) instead of 200 with the heartbeat.

    FakeAPI's connection threads call handle(); a lock keeps it whole."""

    def __init__(self, api_key="tk_test_0123456789abcdef", plan="free",
                 null_lists=True, pause_mode="both", pause_reply="heartbeat",
                 max_secs=86400):
        if plan not in PLAN_LIMITS:
            raise ValueError("unknown plan %r" % plan)
        if pause_mode not in PAUSE_MODES:
            raise ValueError("unknown pause mode %r" % pause_mode)
        if pause_reply not in ("heartbeat", "empty"):
            raise ValueError("unknown pause reply %r" % pause_reply)
        self.pause_mode = pause_mode
        self.max_secs = max_secs  # the upper end of an interval or grace
        self.pause_reply = pause_reply
        self.api_key = api_key
        self.plan = plan
        self.null_lists = null_lists
        self._lock = threading.Lock()
        self._heartbeats = {}   # id -> heartbeat, in creation order
        self._pings = {}        # id -> its pings, oldest first
        self._replies = []

    # ---- what a test looks at or sets up ------------------------------

    @property
    def heartbeats(self):
        with self._lock:
            return [dict(h) for h in self._heartbeats.values()]

    @property
    def replies(self):
        with self._lock:
            return list(self._replies)

    def pings_of(self, hb_id):
        with self._lock:
            return [dict(p) for p in self._pings.get(hb_id, [])]

    def add(self, name="job", interval_secs=3600, grace_secs=300, **fields):
        """A heartbeat made directly (no request, no plan limit); returns a copy."""
        with self._lock:
            hb = self._new(name, interval_secs, grace_secs)
            old_id = hb["id"]
            hb.update(fields)
            # a chosen id: file it under that
            self._heartbeats[hb["id"]] = self._heartbeats.pop(old_id)
            self._pings[hb["id"]] = self._pings.pop(old_id)
            return dict(hb)

    # ---- the API --------------------------------------------------------

    def handle(self, req):
        """(status, headers, body) for REQ."""
        try:
            with self._lock:
                code, doc = self._route(req)
        except _Refusal as e:
            code, doc = e.code, {"error": e.message}
        body = b"" if code == 204 else json.dumps(doc).encode()
        with self._lock:
            self._replies.append((code, body))
        return code, {}, body

    def _route(self, req):
        split = urllib.parse.urlsplit(req.path)
        path = split.path.rstrip("/")
        if path != HEARTBEATS and not path.startswith(HEARTBEATS + "/"):
            raise _Refusal(404, "no such endpoint")
        rest = [urllib.parse.unquote(p) for p in path[len(HEARTBEATS):].split("/")[1:]]
        if len(rest) == 2 and rest[1] == "ping":
            return self._ping(req, rest[0])
        self._authorize(req)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if not rest:
            return self._dispatch(req, {"GET": self._list, "POST": self._create})
        if len(rest) == 1:
            hb = self._find(rest[0])
            return self._dispatch(req, {"GET": lambda r: (200, dict(hb)),
                                        "PATCH": lambda r: self._update(r, hb),
                                        "DELETE": lambda r: self._delete(hb)})
        if len(rest) == 2 and rest[1] == "pings":
            hb = self._find(rest[0])
            return self._dispatch(req, {"GET": lambda r: self._history(hb, query)})
        if len(rest) == 2 and rest[1] in ("pause", "resume"):
            return self._pause_endpoint(req, rest[0], rest[1] == "pause")
        raise _Refusal(404, "no such endpoint")

    def _pause_endpoint(self, req, hb_id, pause):
        if self.pause_mode in ("patch", "neither"):
            raise _Refusal(404, "no such endpoint")
        if self.pause_mode == "post405":
            raise _Refusal(405, "method not allowed")
        hb = self._find(hb_id)
        if req.method != "POST":
            raise _Refusal(405, "method not allowed")
        hb["status"] = "paused" if pause else "active"
        hb["updated_at"] = _now()
        if self.pause_reply == "empty":
            return 204, None
        return 200, dict(hb)

    @staticmethod
    def _dispatch(req, handlers):
        if req.method not in handlers:
            raise _Refusal(405, "method not allowed")
        return handlers[req.method](req)

    def _authorize(self, req):
        if req.headers.get("authorization", "") != "Bearer " + self.api_key:
            raise _Refusal(401, "invalid or revoked API key")

    def _find(self, hb_id):
        if hb_id not in self._heartbeats:
            raise _Refusal(404, "heartbeat not found")
        return self._heartbeats[hb_id]

    def _new(self, name, interval, grace):
        hb = {
            "id": str(uuid.uuid4()),
            "name": name,
            "token": secrets.token_hex(16),  # hex: never taken for an option
            "interval_secs": interval,
            "grace_secs": grace,
            "status": "active",
            "consecutive_misses": 0,
            "last_pinged_at": None,
            "next_expected_at": None,
            "created_at": _now(),
            "updated_at": _now(),
        }
        self._heartbeats[hb["id"]] = hb
        self._pings[hb["id"]] = []
        return hb

    # ---- the calls --------------------------------------------------------

    def _list(self, req):
        hbs = [dict(h) for h in self._heartbeats.values()]
        return 200, {"heartbeats": hbs or (None if self.null_lists else [])}

    def _create(self, req):
        body = _json_body(req, {"name", "interval_secs", "grace_secs"})
        name = _name(body)
        interval = _seconds(body, "interval_secs", 60, self.max_secs, 3600)
        grace = _seconds(body, "grace_secs", 0, self.max_secs, 300)
        limit = PLAN_LIMITS[self.plan]
        if limit is not None and len(self._heartbeats) >= limit:
            raise _Refusal(402, "heartbeat limit reached: the %s plan allows %d"
                           % (self.plan, limit))
        return 201, dict(self._new(name, interval, grace))

    def _update(self, req, hb):
        body = _json_body(req, {"name", "interval_secs", "grace_secs", "status"})
        if not body:
            raise _Refusal(400, "nothing to update")
        changes = {}
        if "name" in body:
            changes["name"] = _name(body)
        for key, low in (("interval_secs", 60), ("grace_secs", 0)):
            if key in body:
                changes[key] = _seconds(body, key, low, self.max_secs, None)
        if "status" in body and self.pause_mode not in ("post", "neither"):
            if body["status"] not in ("active", "paused"):
                raise _Refusal(400, "status must be active or paused")
            changes["status"] = body["status"]
        hb.update(changes)
        hb["updated_at"] = _now()
        return 200, dict(hb)

    def _delete(self, hb):
        del self._heartbeats[hb["id"]]
        del self._pings[hb["id"]]
        return 204, None

    def _history(self, hb, query):
        raw = query.get("limit", ["50"])[-1]
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise _Refusal(400, "limit must be 1 to 100")
        newest = list(reversed(self._pings[hb["id"]]))[:int(raw)]
        return 200, {"pings": newest or (None if self.null_lists else [])}

    def _ping(self, req, token):
        if req.method != "POST":
            raise _Refusal(405, "method not allowed")
        for hb in self._heartbeats.values():
            if secrets.compare_digest(hb["token"], token):
                break
        else:
            raise _Refusal(404, "heartbeat not found")
        if hb["status"] == "paused":
            # Tickstem takes the ping of a paused heartbeat and says so.
            return 200, {"status": "paused"}
        ping = {"id": str(uuid.uuid4()), "heartbeat_id": hb["id"], "pinged_at": _now()}
        self._pings[hb["id"]].append(ping)
        hb["last_pinged_at"] = ping["pinged_at"]
        hb["next_expected_at"] = _later(hb["interval_secs"])
        hb["consecutive_misses"] = 0
        if hb["status"] == "failing":
            hb["status"] = "active"
        return 200, {"status": "ok"}


def _json_body(req, allowed):
    if req.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise _Refusal(400, "Content-Type must be application/json")
    try:
        body = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refusal(400, "the body is not JSON")
    if not isinstance(body, dict):
        raise _Refusal(400, "the body is not a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise _Refusal(400, "unknown field %r" % unknown[0])
    return body


def _name(body):
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Refusal(400, "name is required")
    if len(name) > 100:
        raise _Refusal(400, "name is longer than 100 characters")
    return name


def _seconds(body, key, low, high, default):
    if key not in body:
        if default is None:
            raise _Refusal(400, "%s is required" % key)
        return default
    v = body[key]
    if type(v) is not int or not low <= v <= high:
        raise _Refusal(400, "%s must be a whole number from %d to %d" % (key, low, high))
    return v
