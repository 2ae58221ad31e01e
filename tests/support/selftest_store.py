"""Self-test of the fake API's HeartbeatStore (the management endpoints).

Driven with Python's own http.client, so that a failing hbctl test can be
blamed on hbctl and not on the fake.  Needs no binary; runs in a second.

    python3 tests/support/selftest_store.py
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakeapi import FakeAPI, HeartbeatStore  # noqa: E402

KEY = "tk_selftest_key"
AUTH = {"Authorization": "Bearer " + KEY}
JSON = {"Content-Type": "application/json"}
FIELDS = ["id", "name", "token", "interval_secs", "grace_secs", "status",
          "consecutive_misses", "last_pinged_at", "next_expected_at",
          "created_at", "updated_at"]


class StoreCase(unittest.TestCase):
    def setUp(self):
        threads_before = set(threading.enumerate())
        self.addCleanup(self.check_no_threads_left, threads_before)  # runs last
        self.store = HeartbeatStore(api_key=KEY)
        self.srv = self.server(store=self.store)

    def server(self, **kw):
        srv = FakeAPI(max_requests=200, **kw).start()
        self.addCleanup(self.check_stopped, srv)
        return srv

    def check_stopped(self, srv):
        srv.stop()
        self.assertEqual(srv.errors, [], "the fake raised inside a handler")

    def check_no_threads_left(self, before):
        time.sleep(0.05)
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        self.assertEqual(left, [])

    def call(self, method, path, body=None, headers=None, auth=True, srv=None):
        """(status, headers, parsed body or None) of one request."""
        srv = srv or self.srv
        h = dict(AUTH) if auth else {}
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h.update(JSON)
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        try:
            c.request(method, "/v1" + path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, r.headers, json.loads(data) if data else None
        finally:
            c.close()

    def create(self, name="job", **fields):
        fields.setdefault("interval_secs", 3600)
        fields.setdefault("grace_secs", 300)
        status, _, hb = self.call("POST", "/heartbeats", dict(name=name, **fields))
        self.assertEqual(status, 201, hb)
        return hb


class TestAuth(StoreCase):
    def test_management_needs_the_bearer_key(self):
        hb = self.store.add()
        for method, path in (("GET", "/heartbeats"), ("POST", "/heartbeats"),
                             ("GET", "/heartbeats/" + hb["id"]),
                             ("PATCH", "/heartbeats/" + hb["id"]),
                             ("DELETE", "/heartbeats/" + hb["id"]),
                             ("GET", "/heartbeats/%s/pings" % hb["id"])):
            for headers in ({}, {"Authorization": "Bearer wrong"},
                            {"Authorization": KEY}):
                with self.subTest(method=method, path=path, headers=headers):
                    status, _, body = self.call(method, path, headers=headers, auth=False)
                    self.assertEqual(status, 401)
                    self.assertEqual(body, {"error": "invalid or revoked API key"})
        self.assertEqual(len(self.store.heartbeats), 1)

    def test_ping_needs_no_key(self):
        hb = self.store.add()
        status, _, body = self.call("POST", "/heartbeats/%s/ping" % hb["token"], auth=False)
        self.assertEqual((status, body), (200, {"status": "ok"}))

    def test_ping_of_a_paused_heartbeat(self):
        # Tickstem takes it, says so, and records no ping.
        hb = self.store.add(status="paused")
        status, _, body = self.call("POST", "/heartbeats/%s/ping" % hb["token"], auth=False)
        self.assertEqual((status, body), (200, {"status": "paused"}))
        self.assertEqual(self.call("GET", "/heartbeats/%s/pings" % hb["id"])[2], {"pings": None})


class TestCalls(StoreCase):
    def test_create_get_list(self):
        status, _, body = self.call("GET", "/heartbeats")
        self.assertEqual((status, body), (200, {"heartbeats": None}))
        hb = self.create("backup", interval_secs=86400, grace_secs=0)
        self.assertEqual(list(hb), FIELDS)
        self.assertEqual((hb["name"], hb["interval_secs"], hb["grace_secs"]),
                         ("backup", 86400, 0))
        self.assertEqual((hb["status"], hb["consecutive_misses"]), ("active", 0))
        self.assertIsNone(hb["last_pinged_at"])
        self.assertEqual(self.call("GET", "/heartbeats/" + hb["id"])[2], hb)
        self.assertEqual(self.call("GET", "/heartbeats")[2], {"heartbeats": [hb]})

    def test_create_defaults(self):
        status, _, hb = self.call("POST", "/heartbeats", {"name": "n"})
        self.assertEqual(status, 201)
        self.assertEqual((hb["interval_secs"], hb["grace_secs"]), (3600, 300))

    def test_plan_limit(self):
        for i in range(5):
            self.create("hb%d" % i)
        status, _, body = self.call("POST", "/heartbeats", {"name": "sixth"})
        self.assertEqual(status, 402)
        self.assertIn("free plan allows 5", body["error"])
        self.assertEqual(len(self.store.heartbeats), 5)
        starter = HeartbeatStore(api_key=KEY, plan="starter")
        srv = self.server(store=starter)
        for i in range(6):
            self.assertEqual(self.call("POST", "/heartbeats", {"name": "x"}, srv=srv)[0], 201)

    def test_unknown_ids(self):
        for method, path in (("GET", "/heartbeats/nope"), ("PATCH", "/heartbeats/nope"),
                             ("DELETE", "/heartbeats/nope"),
                             ("GET", "/heartbeats/nope/pings"),
                             ("POST", "/heartbeats/nope/ping")):
            with self.subTest(method=method, path=path):
                body = {"name": "x"} if method == "PATCH" else None
                status, _, reply = self.call(method, path, body)
                self.assertEqual(status, 404)
                self.assertEqual(reply, {"error": "heartbeat not found"})

    def test_escaped_id(self):
        hb = self.store.add(id="a/b c")
        status, _, body = self.call("GET", "/heartbeats/a%2Fb%20c")
        self.assertEqual((status, body["name"]), (200, hb["name"]))

    def test_bad_values(self):
        cases = [
            ({"name": ""}, "name is required"),
            ({"name": 5}, "name is required"),
            ({"name": "x" * 101}, "longer than 100"),
            ({"name": "x", "interval_secs": 59}, "interval_secs"),
            ({"name": "x", "interval_secs": 86401}, "interval_secs"),
            ({"name": "x", "interval_secs": 3600.0}, "interval_secs"),
            ({"name": "x", "interval_secs": True}, "interval_secs"),
            ({"name": "x", "grace_secs": -1}, "grace_secs"),
            ({"name": "x", "colour": "red"}, "unknown field"),
            (["name"], "not a JSON object"),
        ]
        for body, said in cases:
            with self.subTest(body=body):
                status, _, reply = self.call("POST", "/heartbeats", body)
                self.assertEqual(status, 400)
                self.assertIn(said, reply["error"])
        status, _, reply = self.call("POST", "/heartbeats", b"{nope", headers=JSON)
        self.assertEqual((status, reply), (400, {"error": "the body is not JSON"}))
        status, _, reply = self.call("POST", "/heartbeats", b'{"name":"x"}')
        self.assertEqual(status, 400)
        self.assertIn("Content-Type", reply["error"])
        self.assertEqual(self.store.heartbeats, [])

    def test_partial_patch(self):
        hb = self.create("before", interval_secs=600, grace_secs=60)
        status, _, after = self.call("PATCH", "/heartbeats/" + hb["id"], {"grace_secs": 0})
        self.assertEqual(status, 200)
        self.assertEqual(after["grace_secs"], 0)
        for key in ("name", "interval_secs", "status", "token", "created_at"):
            self.assertEqual(after[key], hb[key])
        status, _, after = self.call("PATCH", "/heartbeats/" + hb["id"], {"status": "paused"})
        self.assertEqual((status, after["status"], after["name"]), (200, "paused", "before"))
        for body, said in (({}, "nothing to update"), ({"status": "failing"}, "status"),
                           ({"interval_secs": 1}, "interval_secs"),
                           ({"token": "x"}, "unknown field")):
            with self.subTest(body=body):
                status, _, reply = self.call("PATCH", "/heartbeats/" + hb["id"], body)
                self.assertEqual(status, 400)
                self.assertIn(said, reply["error"])

    def test_delete_is_204_without_a_body(self):
        hb = self.create()
        status, headers, body = self.call("DELETE", "/heartbeats/" + hb["id"])
        self.assertEqual((status, body), (204, None))
        self.assertIsNone(headers.get("Content-Length"))
        self.assertEqual(self.store.heartbeats, [])
        self.assertEqual(self.call("GET", "/heartbeats/" + hb["id"])[0], 404)
        self.assertEqual(self.store.replies[-2], (204, b""))

    def test_pings_newest_first_with_a_limit(self):
        hb = self.create()
        self.assertEqual(self.call("GET", "/heartbeats/%s/pings" % hb["id"])[2],
                         {"pings": None})
        for _ in range(3):
            self.assertEqual(self.call("POST", "/heartbeats/%s/ping" % hb["token"],
                                       auth=False)[0], 200)
        stored = self.store.pings_of(hb["id"])
        status, _, body = self.call("GET", "/heartbeats/%s/pings?limit=2" % hb["id"])
        self.assertEqual(status, 200)
        self.assertEqual(body["pings"], [stored[2], stored[1]])
        self.assertEqual(list(stored[0]), ["id", "heartbeat_id", "pinged_at"])
        self.assertEqual(len(self.call("GET", "/heartbeats/%s/pings" % hb["id"])[2]["pings"]), 3)
        after = self.call("GET", "/heartbeats/" + hb["id"])[2]
        self.assertEqual(after["last_pinged_at"], stored[2]["pinged_at"])
        for limit in ("0", "101", "x", ""):
            with self.subTest(limit=limit):
                status, _, _ = self.call("GET", "/heartbeats/%s/pings?limit=%s" % (hb["id"], limit))
                self.assertEqual(status, 400)

    def test_empty_lists_can_be_arrays(self):
        store = HeartbeatStore(api_key=KEY, null_lists=False)
        srv = self.server(store=store)
        self.assertEqual(self.call("GET", "/heartbeats", srv=srv)[2], {"heartbeats": []})

    def test_other_paths_and_methods(self):
        self.assertEqual(self.call("GET", "/elsewhere")[0], 404)
        self.assertEqual(self.call("PUT", "/heartbeats")[0], 405)
        self.assertEqual(self.call("GET", "/heartbeats/x/y/z")[0], 404)


class TestFaultsFirst(StoreCase):
    def test_plan_before_the_store(self):
        store = HeartbeatStore(api_key=KEY)
        srv = self.server(store=store, plan=[("status", 503, {}, b""), ("store",)])
        self.assertEqual(self.call("GET", "/heartbeats", srv=srv)[0], 503)
        self.assertEqual(self.call("GET", "/heartbeats", srv=srv)[0], 200)
        self.assertEqual(self.call("GET", "/heartbeats", srv=srv)[0], 200)

    def test_store_lost_acts_then_resets(self):
        store = HeartbeatStore(api_key=KEY)
        srv = self.server(store=store, plan=[("store_lost",), ("store",)])
        with self.assertRaises((ConnectionError, http.client.HTTPException, socket.error)):
            self.call("POST", "/heartbeats", {"name": "once"}, srv=srv)
        self.assertEqual([h["name"] for h in store.heartbeats], ["once"])

    def test_a_store_action_needs_a_store(self):
        srv = self.server(plan=[("store",)])
        with self.assertRaises((ConnectionError, http.client.HTTPException, socket.error)):
            self.call("GET", "/heartbeats", srv=srv)
        srv.stop()
        self.assertEqual(len(srv.errors), 1)
        srv._errors.clear()


if __name__ == "__main__":
    unittest.main(verbosity=2)
