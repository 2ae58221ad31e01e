"""Contract tests of the fake API against Tickstem's published clients.

Every request shape of tickstem_clients.py (the Node SDK @tickstem/heartbeat
0.2.0, and the Python SDK's pause and resume) is sent exactly, headers
included, with Python's own http.client, and the fake must answer as that
client expects.  So the fake cannot drift from what Tickstem's clients send
without a test here failing, whatever hbctl does.  Needs no binary.

    python3 tests/support/selftest_clients.py
"""

import http.client
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tickstem_clients as clients  # noqa: E402
from fakeapi import PAUSE_MODES, FakeAPI, HeartbeatStore  # noqa: E402

KEY = "tk_contract_key"
FIELDS = {"id", "name", "token", "interval_secs", "grace_secs", "status",
          "consecutive_misses", "last_pinged_at", "next_expected_at",
          "created_at", "updated_at"}


class ClientCase(unittest.TestCase):
    def setUp(self):
        before = set(threading.enumerate())
        self.addCleanup(self.no_threads_left, before)

    def no_threads_left(self, before):
        time.sleep(0.05)
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        self.assertEqual(left, [])

    def server(self, **store_kw):
        store = HeartbeatStore(api_key=KEY, **store_kw)
        srv = FakeAPI(store=store, max_requests=200).start()

        def stop():
            srv.stop()
            self.assertEqual(srv.errors, [], "the fake raised inside a handler")
        self.addCleanup(stop)
        return srv, store

    def send(self, srv, entry, **values):
        """Send ENTRY as the client does; (status, parsed body or None)."""
        call, method, path, body = entry
        values.setdefault("limit", 50)
        path = path.format(**values)
        template = (clients.NODE_PING_HEADERS if call == "ping"
                    else clients.NODE_MANAGEMENT_HEADERS)
        headers = {k: v.format(key=KEY) for k, v in template.items()}
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        n = len(srv.requests)
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        try:
            c.request(method, "/v1" + path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
        finally:
            c.close()
        # what arrived is the shape, exactly
        req = srv.requests[n]
        self.assertEqual((req.method, req.path), (method, "/v1" + path))
        self.assertEqual(req.body, data or b"")
        if r.status >= 400:
            # the clients read "error" first: the fake always gives one
            self.assertIsInstance(json.loads(raw)["error"], str, raw)
        return r.status, json.loads(raw) if raw else None


class TestNodeSDK(ClientCase):
    def test_every_call_is_answered_as_the_sdk_reads_it(self):
        srv, store = self.server()
        hb = store.add("existing")
        ids = {"id": hb["id"], "token": hb["token"]}
        seen = set()
        for entry in clients.NODE_SDK:
            call = entry[0]
            with self.subTest(call=call, body=entry[3]):
                status, reply = self.send(srv, entry, **ids)
                self.check(call, entry, status, reply, hb)
                seen.add(call)
        self.assertEqual(seen, {"list", "get", "create", "update", "pause", "resume",
                                "pings", "delete", "ping"})

    def check(self, call, entry, status, reply, hb):
        if call in clients.NODE_LIST_KEYS:
            self.assertEqual(status, 200)
            items = reply[clients.NODE_LIST_KEYS[call]]
            self.assertTrue(items is None or isinstance(items, list), reply)
        elif call == "delete":
            self.assertEqual((status, reply), (204, None))
        elif call == "ping":
            self.assertEqual((status, reply), (200, {"status": "ok"}))
        else:
            self.assertEqual(status, 201 if call == "create" else 200, reply)
            self.assertEqual(set(reply), FIELDS)
            if call == "create":
                self.assertEqual(reply["name"], entry[3]["name"])
                self.assertEqual((reply["interval_secs"], reply["grace_secs"]),
                                 (entry[3].get("interval_secs", 3600),
                                  entry[3].get("grace_secs", 300)))
            else:
                self.assertEqual(reply["id"], hb["id"])
            if call == "update":
                self.assertEqual(reply["grace_secs"], entry[3]["grace_secs"])
            if call in ("pause", "resume"):
                self.assertEqual(reply["status"], "paused" if call == "pause" else "active")

    def test_pause_of_an_unknown_id_is_404(self):
        srv, _ = self.server()
        for call in ("pause", "resume"):
            with self.subTest(call=call):
                status, reply = self.send(srv, clients.shape(call), id="nope")
                self.assertEqual((status, reply), (404, {"error": "heartbeat not found"}))

    def test_pause_can_answer_without_a_body(self):
        srv, store = self.server(pause_reply="empty")
        hb = store.add()
        status, reply = self.send(srv, clients.shape("pause"), id=hb["id"])
        self.assertEqual((status, reply), (204, None))
        self.assertEqual(store.heartbeats[0]["status"], "paused")


class TestPauseModes(ClientCase):
    """Which client's pause works on which fake: the modes hbctl is run
    against.  (code of the Node SDK's POST, code of the Python SDK's PATCH,
    whether that PATCH acts)."""

    EXPECTED = {
        "both": (200, 200, True),
        "post": (200, 200, False),     # the PATCH "succeeds" and does nothing
        "patch": (404, 200, True),
        "post405": (405, 200, True),
        "neither": (404, 200, False),
    }

    def test_each_mode(self):
        self.assertEqual(set(self.EXPECTED), set(PAUSE_MODES))
        for mode, (post_code, patch_code, patch_acts) in self.EXPECTED.items():
            for call in ("pause", "resume"):
                with self.subTest(mode=mode, call=call):
                    srv, store = self.server(pause_mode=mode)
                    start = "active" if call == "pause" else "paused"
                    wanted = "paused" if call == "pause" else "active"
                    hb = store.add(status=start)
                    status, _ = self.send(srv, clients.shape(call), id=hb["id"])
                    self.assertEqual(status, post_code)
                    self.assertEqual(store.heartbeats[0]["status"],
                                     wanted if post_code == 200 else start)
                    store.add(id="second", status=start)
                    status, reply = self.send(srv, clients.shape(call, clients.PYTHON_SDK),
                                              id="second")
                    self.assertEqual(status, patch_code)
                    self.assertEqual(reply["status"], wanted if patch_acts else start)
                    self.assertEqual(store.heartbeats[1]["status"], reply["status"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
