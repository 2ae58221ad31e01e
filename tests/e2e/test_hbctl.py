"""End-to-end tests of hbctl (SPEC section 6) with the real binary.

The server is a FakeAPI with a HeartbeatStore: a small Tickstem on
127.0.0.1 that checks the bearer key, keeps heartbeats and pings in memory,
and answers 401, 402, 404, 400 and 204 as the real API does.  Every command
and every exit status is run here, the network failure and the refusals
that send nothing included.

    HBRUN=build/src/hbrun/hbrun HBCTL=build/src/hbctl/hbctl python3 tests/e2e/test_hbctl.py
"""

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
import harness  # noqa: E402
import tickstem_clients as clients  # noqa: E402
from fakeapi import HeartbeatStore, unused_port  # noqa: E402
from harness import HBRUN, WRAPPER, Result, sample, scaled, upper  # noqa: E402
from servercase import ServerCase, TLSServerCase  # noqa: E402

HBCTL = os.environ.get("HBCTL", "")
if not HBCTL or not os.access(HBCTL, os.X_OK):
    raise SystemExit("tests: set HBCTL to the hbctl binary (meson test does this)")

KEY = "tk_live_Qm4Rz8WpLx2Nv6Ks9Jd3"   # distinctive: easy to spot in output
WRONG_KEY = "tk_live_Wr0ngK3yZZ7Yq1Pp5Uu"
UTF8_NAME = "sauvegarde – été"


def hbctl(args, env, timeout=60, **kw):
    """Run hbctl with ARGS (under $HBRUN_WRAPPER, as harness runs hbrun)."""
    start = time.monotonic()
    p = subprocess.run(WRAPPER + [HBCTL] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(timeout), **kw)
    res = Result(p.returncode, p.stdout, p.stderr, time.monotonic() - start)
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(res.stderr):
        raise AssertionError("valgrind found errors in hbctl %s:\n%s" % (args, res.stderr))
    return res


def leaks(text, secret, shown=4):
    """The substrings of SECRET longer than SHOWN characters found in TEXT."""
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})


def key_values(stdout):
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"^([a-z_]+): +(.*)$", line)
        assert m, "not a key: value line: %r" % line
        out[m.group(1)] = m.group(2)
    return out


def table(stdout):
    """Rows of an aligned table as lists of cells, cut where the header's
    columns start (headers may hold one space; columns are 2 apart)."""
    lines = stdout.splitlines()
    starts = [m.start() for m in re.finditer(r"(?:(?<=  )|^)\S", lines[0])]
    rows = []
    for line in lines:
        cells = []
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            if i > 0:
                assert line[s - 1] == " " and line[s - 2] == " ", (line, s)
            cells.append(line[s:end].rstrip())
        rows.append(cells)
    return rows


class HbctlCase(ServerCase):
    def setUp(self):
        super().setUp()
        self.store = HeartbeatStore(api_key=KEY)
        self.srv = self.server(store=self.store)

    def env(self, **extra):
        extra.setdefault("TICKSTEM_API_KEY", KEY)
        return self.sb.env(**extra)

    def run_hbctl(self, *args, srv=None, env=None, timeout=60):
        srv = srv or self.srv
        return hbctl(["--api-url", srv.url] + list(args), env or self.env(),
                     timeout=timeout)

    def assertDone(self, res):
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stderr, "", res)

    def assertFails(self, res, status, said=None):
        self.assertEqual(res.returncode, status, res)
        self.assertEqual(res.stdout, "", res)
        lines = res.lines()
        self.assertEqual(len(lines), 1, res)
        self.assertTrue(lines[0].startswith("hbctl: "), res)
        if said:
            self.assertRegex(lines[0], said)
        self.assertEqual(leaks(res.stdout + res.stderr, KEY), [], res)

    def assertNothingSent(self, srv=None, wait=0.2):
        srv = srv or self.srv
        self.assertFalse(srv.wait_connections(1, wait), "a connection was made")
        self.assertEqual(srv.requests, [])

    def body(self, req):
        return json.loads(req.body.decode())


class TestCommands(HbctlCase):
    def test_create_prints_id_token_and_ping_url(self):
        res = self.run_hbctl("create", "nightly backup")
        self.assertDone(res)
        (hb,) = self.store.heartbeats
        kv = key_values(res.stdout)
        self.assertEqual(kv["id"], hb["id"])
        self.assertEqual(kv["token"], hb["token"])
        self.assertEqual(kv["ping_url"], "%s/heartbeats/%s/ping" % (self.srv.url, hb["token"]))
        self.assertEqual(kv["name"], "nightly backup")
        (req,) = self.srv.requests
        self.assertEqual((req.method, req.target), ("POST", "/v1/heartbeats"))
        # every field, always: the defaults are hbctl's, not the server's
        self.assertEqual(self.body(req), {"name": "nightly backup", "interval_secs": 3600,
                                          "grace_secs": 300})
        self.assertEqual(req.headers["authorization"], "Bearer " + KEY)
        self.assertEqual(req.headers["content-type"], "application/json")
        self.assertEqual(req.headers["accept"], "application/json")
        self.assertTrue(req.headers["user-agent"].startswith("hbctl/"), req.headers)

    def test_create_with_interval_and_grace(self):
        res = self.run_hbctl("create", "--interval", "86400", UTF8_NAME, "--grace=0")
        self.assertDone(res)
        self.assertEqual(self.body(self.srv.requests[0]),
                         {"name": UTF8_NAME, "interval_secs": 86400, "grace_secs": 0})
        kv = key_values(res.stdout)
        self.assertEqual((kv["name"], kv["interval_secs"], kv["grace_secs"]),
                         (UTF8_NAME, "86400", "0"))

    def test_the_ping_url_works_with_hbrun(self):
        res = self.run_hbctl("create", "backup")
        self.assertDone(res)
        token = key_values(res.stdout)["token"]
        run = harness.run(["-t", token, "--api-url", self.srv.url, "--", "true"],
                          self.sb.env())
        self.assertEqual((run.returncode, run.stderr), (0, ""), run)
        (hb,) = self.store.heartbeats
        self.assertEqual(len(self.store.pings_of(hb["id"])), 1)

    def test_list_is_an_aligned_table_without_tokens(self):
        a = self.store.add(UTF8_NAME, interval_secs=60, grace_secs=0)
        b = self.store.add("report", consecutive_misses=3, status="failing",
                           last_pinged_at="2025-01-01T00:00:00Z")
        res = self.run_hbctl("list")
        self.assertDone(res)
        rows = table(res.stdout)
        self.assertEqual(rows[0], ["ID", "NAME", "STATUS", "INTERVAL", "GRACE", "MISSES",
                                   "LAST PING", "NEXT EXPECTED"])
        self.assertEqual(rows[1], [a["id"], UTF8_NAME, "active", "60", "0", "0", "-", "-"])
        self.assertEqual(rows[2], [b["id"], "report", "failing", "3600", "300", "3",
                                   "2025-01-01T00:00:00Z", "-"])
        self.assertEqual(len(rows), 3)
        for hb in (a, b):
            self.assertNotIn(hb["token"], res.stdout)
        (req,) = self.srv.requests
        self.assertEqual((req.method, req.target), ("GET", "/v1/heartbeats"))
        self.assertEqual(req.headers["authorization"], "Bearer " + KEY)

    def test_empty_list_null_or_array(self):
        for null_lists in (True, False):
            with self.subTest(null_lists=null_lists):
                store = HeartbeatStore(api_key=KEY, null_lists=null_lists)
                srv = self.server(store=store)
                res = self.run_hbctl("list", srv=srv)
                self.assertDone(res)
                self.assertEqual(table(res.stdout)[1:], [])
                self.assertTrue(res.stdout.startswith("ID  NAME  STATUS"), res)
                res = self.run_hbctl("--json", "list", srv=srv)
                self.assertDone(res)
                self.assertEqual(json.loads(res.stdout),
                                 {"heartbeats": None if null_lists else []})

    def test_get_shows_every_field(self):
        hb = self.store.add("backup", interval_secs=600, grace_secs=30)
        res = self.run_hbctl("get", hb["id"])
        self.assertDone(res)
        kv = key_values(res.stdout)
        for key in ("id", "name", "token", "status", "created_at", "updated_at"):
            self.assertEqual(kv[key], hb[key])
        for key in ("interval_secs", "grace_secs", "consecutive_misses"):
            self.assertEqual(kv[key], str(hb[key]))
        self.assertEqual((kv["last_pinged_at"], kv["next_expected_at"]), ("-", "-"))
        self.assertEqual(kv["ping_url"], "%s/heartbeats/%s/ping" % (self.srv.url, hb["token"]))
        self.assertEqual(self.srv.requests[0].target, "/v1/heartbeats/" + hb["id"])

    def test_ids_are_escaped(self):
        hb = self.store.add(id="odd/id with space")
        res = self.run_hbctl("get", hb["id"])
        self.assertDone(res)
        self.assertEqual(self.srv.requests[0].target, "/v1/heartbeats/odd%2Fid%20with%20space")

    def test_update_sends_only_what_changes(self):
        hb = self.store.add("before", interval_secs=600, grace_secs=60)
        cases = [(["--grace", "0"], {"grace_secs": 0}),
                 (["--name", "after", "--interval", "120"], {"name": "after", "interval_secs": 120}),
                 (["--interval", "86400", "--grace", "86400", "--name", "x"],
                  {"name": "x", "interval_secs": 86400, "grace_secs": 86400})]
        for opts, sent in cases:
            with self.subTest(opts=opts):
                res = self.run_hbctl("update", hb["id"], *opts)
                self.assertDone(res)
                req = self.srv.requests[-1]
                self.assertEqual((req.method, req.target), ("PATCH", "/v1/heartbeats/" + hb["id"]))
                self.assertEqual(self.body(req), sent)
                kv = key_values(res.stdout)
                for key, value in sent.items():
                    self.assertEqual(kv[key], str(value))
        (now,) = self.store.heartbeats
        self.assertEqual((now["name"], now["interval_secs"], now["grace_secs"]), ("x", 86400, 86400))

    def test_pause_and_resume(self):
        hb = self.store.add()
        res = self.run_hbctl("pause", hb["id"])
        self.assertDone(res)
        self.assertEqual(key_values(res.stdout)["status"], "paused")
        self.assertEqual(self.store.heartbeats[0]["status"], "paused")
        res = self.run_hbctl("resume", hb["id"])
        self.assertDone(res)
        self.assertEqual(key_values(res.stdout)["status"], "active")
        # the SDKs' requests: PATCH {"status": ...} (the Python SDK; the
        # Node SDK's POST routes were reverted as a bug)
        wanted = [clients.shape(call, clients.PYTHON_SDK) for call in ("pause", "resume")]
        self.assertEqual([(r.method, r.target, json.loads(r.body)) for r in self.srv.requests],
                         [(method, "/v1" + path.format(id=hb["id"]), body)
                          for _, method, path, body in wanted])
        for r in self.srv.requests:
            self.assertEqual(r.headers["accept"], "application/json")
            self.assertEqual(r.headers["authorization"], "Bearer " + KEY)

    def test_delete(self):
        hb = self.store.add()
        res = self.run_hbctl("delete", hb["id"])
        self.assertDone(res)
        self.assertEqual(res.stdout, "")
        self.assertEqual(self.store.heartbeats, [])
        self.assertEqual(self.store.replies[-1], (204, b""))
        req = self.srv.requests[-1]
        self.assertEqual((req.method, req.target), ("DELETE", "/v1/heartbeats/" + hb["id"]))
        res = self.run_hbctl("--json", "delete", hb["id"])
        self.assertFails(res, 5, r"^hbctl: delete: heartbeat not found \(HTTP 404\)$")

    def test_ping_and_its_history(self):
        hb = self.store.add()
        for _ in range(3):
            self.assertDone(self.run_hbctl("ping", hb["token"]))
        stored = self.store.pings_of(hb["id"])
        res = self.run_hbctl("pings", hb["id"])
        self.assertDone(res)
        rows = table(res.stdout)
        self.assertEqual(rows, [["ID", "PINGED AT"]] +
                         [[p["id"], p["pinged_at"]] for p in reversed(stored)])
        self.assertEqual(self.srv.requests[-1].target,
                         "/v1/heartbeats/%s/pings?limit=50" % hb["id"])
        res = self.run_hbctl("pings", "--limit", "2", hb["id"])
        self.assertDone(res)
        self.assertEqual(len(table(res.stdout)), 3)
        self.assertEqual(self.srv.requests[-1].target,
                         "/v1/heartbeats/%s/pings?limit=2" % hb["id"])

    def test_no_pings_yet(self):
        hb = self.store.add()
        res = self.run_hbctl("pings", hb["id"])
        self.assertDone(res)
        self.assertEqual(res.stdout, "ID  PINGED AT\n")

    def test_ping_is_hbruns_request(self):
        hb = self.store.add()
        res = self.run_hbctl("ping", hb["token"], env=self.env(TICKSTEM_API_KEY=None))
        self.assertDone(res)
        self.assertEqual(res.stdout, "")
        run = harness.run(["-t", hb["token"], "--api-url", self.srv.url, "--", "true"],
                          self.sb.env())
        self.assertEqual(run.returncode, 0, run)
        by_hbctl, by_hbrun = self.srv.requests
        self.assertEqual((by_hbctl.method, by_hbctl.target, by_hbctl.body),
                         (by_hbrun.method, by_hbrun.target, by_hbrun.body))
        self.assertEqual(by_hbctl.headers, by_hbrun.headers)
        self.assertNotIn("authorization", by_hbctl.headers)
        self.assertEqual(by_hbctl.headers["content-length"], "0")
        self.assertEqual(len(self.store.pings_of(hb["id"])), 2)

    def test_json_prints_the_reply_as_it_came(self):
        hb = self.store.add(UTF8_NAME)
        self.assertDone(self.run_hbctl("ping", hb["token"]))
        for args in sample((["list"], ["get", hb["id"]], ["pings", hb["id"]],
                            ["create", "another"], ["update", hb["id"], "--grace", "1"],
                            ["pause", hb["id"]], ["ping", hb["token"]]), 4):
            with self.subTest(args=args):
                res = self.run_hbctl("--json", *args)
                self.assertDone(res)
                code, body = self.store.replies[-1]
                self.assertEqual(res.stdout, body.decode() + "\n")
                json.loads(res.stdout)

    def test_json_delete_prints_nothing(self):
        hb = self.store.add()
        res = self.run_hbctl("--json", "delete", hb["id"])
        self.assertDone(res)
        self.assertEqual(res.stdout, "")

    def test_control_characters_in_names_are_not_printed(self):
        hb = self.store.add("evil\x1b[2J\nforged line\x07")
        for args in (["list"], ["get", hb["id"]]):
            with self.subTest(args=args):
                res = self.run_hbctl(*args)
                self.assertDone(res)
                self.assertNotIn("\x1b", res.stdout)
                self.assertNotIn("\x07", res.stdout)
                self.assertIn("evil?[2J?forged line?", res.stdout)
        self.assertEqual(len(self.run_hbctl("list").stdout.splitlines()), 2)

    def test_help_and_version(self):
        res = hbctl(["--help"], self.env())
        self.assertDone(res)
        for word in ("create", "ensure", "list", "get", "update", "pause", "resume", "delete",
                     "pings", "ping", "--api-key", "--json", "--deadline"):
            self.assertIn(word, res.stdout)
        for command in ("create", "ensure", "list", "get", "update", "pause", "resume",
                        "delete", "pings", "ping"):
            with self.subTest(command=command):
                res = hbctl([command, "--help"], self.env())
                self.assertDone(res)
                self.assertTrue(res.stdout.startswith("Usage: hbctl [OPTION]... " + command),
                                res.stdout)
        res = hbctl(["--version"], self.env())
        self.assertDone(res)
        hbrun_version = subprocess.run([HBRUN, "--version"], stdout=subprocess.PIPE,
                                       text=True, timeout=10).stdout.split()[1]
        self.assertEqual(res.stdout, "hbctl %s\n" % hbrun_version)
        self.assertNothingSent(wait=0)

    def test_stdout_that_cannot_be_written_is_a_failure(self):
        self.store.add()
        with open("/dev/full", "w") as full:
            p = subprocess.run(WRAPPER + [HBCTL, "--api-url", self.srv.url, "list"],
                               env=self.env(), stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot write the output", p.stderr)


class TestPauseModes(HbctlCase):
    """pause and resume against each way a server may know them (fakeapi's
    PAUSE_MODES): hbctl must leave the heartbeat paused, then active, or
    say that it could not."""

    def requests_of(self, srv):
        return [(r.method, r.target, self.body(r) if r.body else None) for r in srv.requests]

    def test_every_mode_leaves_the_heartbeat_as_asked(self):
        for mode in sample(("both", "post", "patch", "post405"), 2):
            with self.subTest(mode=mode):
                store = HeartbeatStore(api_key=KEY, pause_mode=mode)
                srv = self.server(store=store)
                hb = store.add()
                path = "/v1/heartbeats/" + hb["id"]
                for call, wanted in (("pause", "paused"), ("resume", "active")):
                    before = len(srv.requests)
                    res = self.run_hbctl(call, hb["id"], srv=srv)
                    self.assertDone(res)
                    self.assertEqual(key_values(res.stdout)["status"], wanted)
                    self.assertEqual(store.heartbeats[0]["status"], wanted)
                    sent = self.requests_of(srv)[before:]
                    post = ("POST", "%s/%s" % (path, call), None)
                    patch = ("PATCH", path, {"status": wanted})
                    if mode != "post":
                        self.assertEqual(sent, [patch])
                    else:   # the PATCH ignored: the MCP server's POST, once
                        self.assertEqual(sent, [patch, post])
                        self.assertEqual(store.replies[before][0], 200)

    def test_a_patch_without_a_route_falls_back_to_the_post(self):
        for code in (404, 405):
            with self.subTest(code=code):
                hb = dict(self.store.add(), status="paused")
                srv = self.server(plan=[("status", code, {}, b'{"error":"no route"}'),
                                        ("status", 200, {}, json.dumps(hb).encode())])
                res = self.run_hbctl("pause", hb["id"], srv=srv)
                self.assertDone(res)
                self.assertEqual([(r.method, r.target) for r in srv.requests],
                                 [("PATCH", "/v1/heartbeats/" + hb["id"]),
                                  ("POST", "/v1/heartbeats/%s/pause" % hb["id"])])

    def test_a_server_that_ignores_the_status_is_not_believed(self):
        store = HeartbeatStore(api_key=KEY, pause_mode="neither")
        srv = self.server(store=store)
        hb = store.add()
        res = self.run_hbctl("pause", hb["id"], srv=srv)
        self.assertFails(res, 1, r"^hbctl: pause: the server left heartbeat %s active: its "
                                 r"alerts are not paused$" % hb["id"])
        self.assertEqual(store.heartbeats[0]["status"], "active")
        # PATCH ignored, POST missing, and a get to say what is left
        self.assertEqual([r[0] for r in store.replies], [200, 404, 200])
        store.add(id="p", status="paused")
        res = self.run_hbctl("--json", "resume", "p", srv=srv)
        self.assertFails(res, 1, r"^hbctl: resume: the server left heartbeat p paused: its "
                                 r"alerts are still paused$")

    def test_the_status_in_the_reply_decides(self):
        hb = dict(self.store.add(), status="active")
        for call, status, ok in sample((("pause", "active", False), ("pause", "failing", False),
                                        ("pause", "paused", True), ("resume", "failing", True),
                                        ("resume", "active", True), ("resume", "paused", False),
                                        ("resume", None, False)), 4):
            with self.subTest(call=call, status=status):
                body = json.dumps(dict(hb, status=status)).encode()
                srv = self.server(plan=[("status", 200, {}, body)] * 2)
                res = self.run_hbctl(call, hb["id"], srv=srv)
                if ok:
                    self.assertDone(res)
                else:
                    self.assertFails(res, 1, r"the server left heartbeat")
                # not as asked after the PATCH: the POST form, once
                self.assertEqual([r.method for r in srv.requests],
                                 ["PATCH"] if ok else ["PATCH", "POST"])

    def test_a_reply_without_a_heartbeat_is_checked_with_one_get(self):
        store = HeartbeatStore(api_key=KEY, pause_mode="post", pause_reply="empty")
        srv = self.server(store=store)
        hb = store.add()
        res = self.run_hbctl("--json", "pause", hb["id"], srv=srv)
        self.assertDone(res)
        self.assertEqual(json.loads(res.stdout)["status"], "paused")
        self.assertEqual(res.stdout, store.replies[-1][1].decode() + "\n")
        self.assertEqual([(r.method, r.target) for r in srv.requests],
                         [("PATCH", "/v1/heartbeats/" + hb["id"]),
                          ("POST", "/v1/heartbeats/%s/pause" % hb["id"]),
                          ("GET", "/v1/heartbeats/" + hb["id"])])
        # 2xx replies that did nothing, and gets that show it: exit 1
        ok = ("status", 200, {}, b'{"status":"ok"}')
        srv = self.server(store=self.store, plan=[ok, ("store",), ok, ("store",)])
        other = self.store.add()
        res = self.run_hbctl("pause", other["id"], srv=srv)
        self.assertFails(res, 1, r"left heartbeat .* active")
        self.assertEqual([r.method for r in srv.requests], ["PATCH", "GET", "POST", "GET"])
        # the get's own failure is said as such
        srv = self.server(plan=[("status", 204, {}, b""), ("status", 404, {}, b"")])
        res = self.run_hbctl("pause", other["id"], srv=srv)
        self.assertFails(res, 5, r"^hbctl: pause: not found \(HTTP 404\)$")

    def test_unknown_id_is_5_in_every_mode(self):
        for mode, call in sample(itertools.product(("both", "post", "patch", "post405", "neither"),
                                                    ("pause", "resume")), 4):
            with self.subTest(mode=mode, call=call):
                store = HeartbeatStore(api_key=KEY, pause_mode=mode)
                srv = self.server(store=store)
                res = self.run_hbctl(call, "nope", srv=srv)
                self.assertFails(res, 5, r"^hbctl: %s: .*\(HTTP 404\)$" % call)
                self.assertEqual(srv.requests[0].method, "PATCH")

    def test_other_refusals_of_the_patch_are_not_retried_as_a_post(self):
        for code, status in ((401, 3), (400, 1), (409, 1)):
            with self.subTest(code=code):
                srv = self.server(plan=[("status", code, {}, b'{"error":"no"}')])
                res = self.run_hbctl("pause", "hb", srv=srv)
                self.assertFails(res, status, r"^hbctl: pause: no \(HTTP %d\)$" % code)
                self.assertEqual(len(srv.requests), 1)


class TestEnsure(HbctlCase):
    """ensure NAME: create, leave, change one field, or refuse; each with
    the exact requests it sends."""

    def sent(self, srv=None):
        srv = srv or self.srv
        return [(r.method, r.target, self.body(r) if r.body else None) for r in srv.requests]

    def test_none_named_creates_with_creates_defaults(self):
        self.store.add("other")
        res = self.run_hbctl("ensure", "backup")
        self.assertDone(res)
        hb = self.store.heartbeats[1]
        self.assertEqual(self.sent(), [
            ("GET", "/v1/heartbeats", None),
            ("POST", "/v1/heartbeats", {"name": "backup", "interval_secs": 3600,
                                        "grace_secs": 300})])
        kv = key_values(res.stdout)
        self.assertEqual((kv["id"], kv["token"]), (hb["id"], hb["token"]))
        self.assertEqual(kv["ping_url"], "%s/heartbeats/%s/ping" % (self.srv.url, hb["token"]))
        res = self.run_hbctl("ensure", "daily", "--interval", "86400", "--grace", "0")
        self.assertDone(res)
        self.assertEqual(self.sent()[-1], ("POST", "/v1/heartbeats", {
            "name": "daily", "interval_secs": 86400, "grace_secs": 0}))

    def test_one_named_with_the_same_values_sends_nothing_more(self):
        hb = self.store.add("backup", interval_secs=600, grace_secs=60)
        for opts in ([], ["--interval", "600"], ["--grace", "60", "--interval", "600"]):
            with self.subTest(opts=opts):
                before = len(self.srv.requests)
                res = self.run_hbctl("ensure", "backup", *opts)
                self.assertDone(res)
                self.assertEqual(self.sent()[before:], [("GET", "/v1/heartbeats", None)])
                kv = key_values(res.stdout)
                self.assertEqual((kv["id"], kv["token"], kv["interval_secs"]),
                                 (hb["id"], hb["token"], "600"))
        self.assertEqual(self.store.heartbeats, [hb])

    def test_one_field_that_differs_is_the_only_one_sent(self):
        hb = self.store.add("backup", interval_secs=3600, grace_secs=300)
        self.store.add("backup-2")
        res = self.run_hbctl("ensure", "backup", "--interval", "3600", "--grace", "60")
        self.assertDone(res)
        self.assertEqual(self.sent(), [
            ("GET", "/v1/heartbeats", None),
            ("PATCH", "/v1/heartbeats/" + hb["id"], {"grace_secs": 60})])
        self.assertEqual(key_values(res.stdout)["grace_secs"], "60")
        now = self.store.heartbeats[0]
        self.assertEqual((now["interval_secs"], now["grace_secs"], now["token"]),
                         (3600, 60, hb["token"]))
        # a value not given is never reset to create's default
        res = self.run_hbctl("ensure", "backup", "--interval", "120")
        self.assertDone(res)
        self.assertEqual(self.sent()[-1], ("PATCH", "/v1/heartbeats/" + hb["id"],
                                           {"interval_secs": 120}))
        self.assertEqual(self.store.heartbeats[0]["grace_secs"], 60)

    def test_more_than_one_named_changes_nothing(self):
        a = self.store.add("backup")
        b = self.store.add("backup", interval_secs=60)
        res = self.run_hbctl("ensure", "backup", "--interval", "600")
        self.assertFails(res, 1, r"^hbctl: ensure: 2 heartbeats are named 'backup'; nothing "
                                 r"changed")
        self.assertEqual(self.sent(), [("GET", "/v1/heartbeats", None)])
        self.assertEqual(self.store.heartbeats, [a, b])

    def test_json_gives_the_token_to_a_script(self):
        res = self.run_hbctl("--json", "ensure", "backup")      # created
        self.assertDone(res)
        (hb,) = self.store.heartbeats
        self.assertEqual(json.loads(res.stdout)["token"], hb["token"])
        self.assertEqual(res.stdout, self.store.replies[-1][1].decode() + "\n")
        res = self.run_hbctl("--json", "ensure", "backup")      # as listed
        self.assertDone(res)
        self.assertEqual(json.loads(res.stdout), hb)
        self.assertEqual(len(res.stdout.splitlines()), 1)
        res = self.run_hbctl("--json", "ensure", "backup", "--grace", "5")   # patched
        self.assertDone(res)
        self.assertEqual(res.stdout, self.store.replies[-1][1].decode() + "\n")
        self.assertEqual(json.loads(res.stdout)["grace_secs"], 5)
        script = "%s --api-url %s --json ensure backup | python3 -c " \
                 "'import json,sys; print(json.load(sys.stdin)[\"token\"])'" % (HBCTL, self.srv.url)
        p = subprocess.run(["sh", "-c", script], env=self.env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=scaled(60))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, hb["token"] + "\n", ""))

    @unittest.skipUnless(shutil.which("jq"), "jq is not installed: the man page's "
                         "provisioning recipe (which pipes into jq) is not run")
    def test_the_man_pages_provisioning_recipe(self):
        # hbctl(1), PROVISIONING, with its paths in the sandbox; run twice,
        # as every deployment would
        folder = self.sb.path("etc-hbrun")
        recipe = ("set -e\numask 077\n"
                  "json=$($HBCTL --api-url \"$URL\" --json ensure backup --interval 86400 "
                  "--grace 3600)\n"
                  "mkdir -p \"$DIR\"\n"
                  "printf '%s' \"$json\" | jq -r .token > \"$DIR/backup.token\"\n")
        # unquoted in the recipe: a wrapper (valgrind) and its options split
        env = self.env(HBCTL=" ".join(WRAPPER + [HBCTL]), URL=self.srv.url, DIR=folder)
        for _ in range(2):
            p = subprocess.run(["sh", "-c", recipe], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=scaled(60))
            self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        (hb,) = self.store.heartbeats
        self.assertEqual((hb["interval_secs"], hb["grace_secs"]), (86400, 3600))
        self.assertEqual([r.method for r in self.srv.requests], ["GET", "POST", "GET"])
        token_file = os.path.join(folder, "backup.token")
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        run = harness.run(["--token-file", token_file, "--api-url", self.srv.url, "--",
                           "true"], self.sb.env())
        self.assertEqual((run.returncode, run.stderr), (0, ""), run)
        self.assertEqual(len(self.store.pings_of(hb["id"])), 1)
        # a failing hbctl stops the recipe before the token file is touched
        os.unlink(token_file)
        p = subprocess.run(["sh", "-c", recipe], env=self.env(
            HBCTL=HBCTL, URL=self.srv.url, DIR=folder, TICKSTEM_API_KEY=WRONG_KEY),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=scaled(60))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertFalse(os.path.exists(token_file))

    def test_a_list_that_fails_or_lacks_its_array_changes_nothing(self):
        for plan, status, said in (([("status", 200, {}, b"{}")], 1, "no list of heartbeats"),
                                   ([("status", 500, {}, b"")], 1, r"HTTP 500"),
                                   ([("status", 401, {}, b"")], 3, r"HTTP 401")):
            with self.subTest(plan=plan[0][1:3]):
                srv = self.server(plan=plan)
                res = self.run_hbctl("--deadline", "1", "ensure", "backup", srv=srv)
                self.assertFails(res, status, said)
                self.assertEqual({r.method for r in srv.requests}, {"GET"})

    def test_a_create_that_may_have_arrived_is_not_repeated(self):
        srv = self.server(store=self.store, plan=[("store",), ("store_lost",), ("store",)])
        res = self.run_hbctl("ensure", "once", srv=srv)
        self.assertFails(res, 1, r"not retried")
        self.assertEqual([r.method for r in srv.requests], ["GET", "POST"])
        # run again, as a provisioning script would: now it is found
        res = self.run_hbctl("ensure", "once")
        self.assertDone(res)
        self.assertEqual(len(self.store.heartbeats), 1)


class TestKeyAndConfig(HbctlCase):
    def test_key_from_the_command_line(self):
        res = self.run_hbctl("--api-key", KEY, "list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertDone(res)

    def test_key_from_the_config_files_global_part(self):
        self.sb.write_config("api_key = %s\napi_url = %s\n" % (KEY, self.srv.url))
        res = hbctl(["list"], self.env(TICKSTEM_API_KEY=None))
        self.assertDone(res)
        self.assertEqual(self.srv.requests[0].headers["authorization"], "Bearer " + KEY)

    def test_config_named_by_option_or_environment(self):
        path = self.sb.write_file("other.conf", "api_key = %s\n" % KEY)
        res = self.run_hbctl("-c", path, "list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertDone(res)
        res = self.run_hbctl("list", env=self.env(TICKSTEM_API_KEY=None, HBRUN_CONFIG=path))
        self.assertDone(res)

    def test_api_url_from_environment(self):
        res = hbctl(["list"], self.env(HBRUN_API_URL=self.srv.url))
        self.assertDone(res)
        self.assertEqual(len(self.srv.requests), 1)

    def test_api_url_of_another_service_is_not_taken(self):
        # The key goes to Tickstem only: a global part that names another
        # service gives neither its api_url nor HBRUN_API_URL to hbctl.
        other = self.server()
        proxy = self.server(plan=[("status", 403, {}, b"")])
        self.sb.write_config("service = healthchecks\napi_url = %s\napi_key = %s\n"
                             % (other.url, KEY))
        env = self.env(TICKSTEM_API_KEY=None, HBRUN_API_URL=other.url,
                       https_proxy=proxy.base, HTTPS_PROXY=proxy.base)
        res = hbctl(["--api-url", self.srv.url, "list"], env)
        self.assertDone(res)
        self.assertEqual(len(self.srv.requests), 1)
        res = hbctl(["--deadline", "3", "list"], env)  # the default: Tickstem's
        self.assertEqual(res.returncode, 1, res)
        self.assertTrue(proxy.requests, res)
        self.assertEqual({(r.method, r.target) for r in proxy.requests},
                         {("CONNECT", "api.tickstem.dev:443")})
        self.assertEqual(other.requests, [])

    def test_precedence(self):
        self.sb.write_config("api_key = %s\n" % WRONG_KEY)
        self.assertEqual(self.run_hbctl("list").returncode, 0)           # env beats file
        res = self.run_hbctl("--api-key", KEY, "list", env=self.env(TICKSTEM_API_KEY=WRONG_KEY))
        self.assertEqual(res.returncode, 0, res)                          # option beats env
        res = self.run_hbctl("list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertFails(res, 3)                                          # the file's, wrong
        self.assertEqual(leaks(res.stderr, WRONG_KEY), [])

    def test_key_in_a_job_section_is_not_used(self):
        self.sb.write_config("[backup]\napi_key = %s\n" % KEY)
        res = self.run_hbctl("list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertFails(res, 2, r"no API key")
        self.assertNothingSent()

    def test_permission_rules_for_a_file_with_a_key(self):
        self.sb.write_config("api_key = %s\n" % KEY, mode=0o640)
        res = self.run_hbctl("list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertEqual(res.returncode, 0, res)
        self.assertRegex(res.stderr, r"^hbctl: .*readable by group or others")
        self.sb.write_config("api_key = %s\n" % KEY, mode=0o620)
        before = len(self.srv.requests)
        res = self.run_hbctl("list", env=self.env(TICKSTEM_API_KEY=None))
        self.assertEqual(res.returncode, 2, res)
        self.assertIn("writable by group or others; not used", res.stderr)
        self.assertIn("no API key", res.stderr)
        self.assertEqual(len(self.srv.requests), before)
        self.assertEqual(leaks(res.stderr, KEY), [])

    def test_hbrun_accepts_the_key_silently_and_keeps_it(self):
        self.sb.write_config("api_key = %s\n" % KEY)
        hb = self.store.add()
        run = harness.run(["-t", hb["token"], "--api-url", self.srv.url, "--", "sh", "-c",
                           "env; echo done"], self.sb.env(TICKSTEM_API_KEY=None))
        self.assertEqual((run.returncode, run.stderr), (0, ""), run)
        self.assertNotIn(KEY, run.stdout)
        self.assertIn("done", run.stdout)
        self.assertNotIn("authorization", self.srv.requests[0].headers)


class TestExitStatuses(HbctlCase):
    """0 is everywhere above; here 1 to 5, each for every command it fits."""

    def test_1_network_failure(self):
        port = unused_port()
        url = "http://127.0.0.1:%d/v1" % port
        for args in (["list"], ["get", "x"], ["create", "x"], ["ping", "tokenvalue"]):
            with self.subTest(args=args):
                res = hbctl(["--api-url", url, "--deadline", "2"] + args, self.env())
                self.assertFails(res, 1)
                self.assertLess(res.elapsed, upper(2.0 + 1.5), res)
                self.assertIn("127.0.0.1:%d" % port, res.stderr)
                # a refused connection cannot have reached the server: even a
                # create is retried
                self.assertRegex(res.stderr, r"after [2-9] attempts")

    def test_1_server_error_with_a_raw_body(self):
        srv = self.server(plan=[("status", 500, {}, b"upstream exploded\n")])
        res = self.run_hbctl("--deadline", "2", "list", srv=srv)
        self.assertFails(res, 1, r"^hbctl: list: upstream exploded \(HTTP 500\) after \d+ "
                                 r"attempts; (deadline reached|no retries left)$")
        self.assertGreaterEqual(len(srv.requests), 2)

    def test_1_server_refuses_a_value(self):
        hb = self.store.add()
        res = self.run_hbctl("update", hb["id"], "--name", "x" * 101)
        self.assertFails(res, 1, r"name is longer than 100 characters \(HTTP 400\)")

    def test_1_unexpected_replies(self):
        for body in sample((b"not json", b'{"heartbeats": 5}', b'{"heartbeats": [{"name": "x"}]}',
                            b"", b'{"heartbeats": []} trailing', b"{}", b'{"pings": []}'), 3):
            with self.subTest(body=body):
                srv = self.server(plan=[("status", 200, {}, body)])
                res = self.run_hbctl("list", srv=srv)
                self.assertFails(res, 1, r"^hbctl: list: unexpected reply")
                res = self.run_hbctl("--json", "list", srv=srv)
                if body.startswith(b'{"heartbeats": [{'):
                    self.assertDone(res)    # JSON as it came, its items not judged
                else:
                    # a list reply without its array (5 too, since issue 11)
                    self.assertFails(res, 1, r"unexpected reply")

    def test_1_a_list_reply_without_its_array_is_not_empty(self):
        hb = self.store.add()
        for (args, key), json_flag in sample(itertools.product(
                ((["list"], "heartbeats"), (["pings", hb["id"]], "pings")), ([], ["--json"])), 2):
            with self.subTest(args=args, json=json_flag):
                srv = self.server(plan=[("status", 200, {}, b"{}")])
                res = self.run_hbctl(*(json_flag + args), srv=srv)
                self.assertFails(res, 1, r"^hbctl: %s: unexpected reply: no list of %s in it$"
                                 % (args[0], key))
                srv = self.server(plan=[("status", 200, {}, ('{"%s": null}' % key).encode())])
                res = self.run_hbctl(*(json_flag + args), srv=srv)
                self.assertDone(res)

    def test_1_a_reply_over_1_mib(self):
        for n, said in ((1024 * 1024 + 1, r"unexpected reply: longer than 1 MiB$"),
                        (1024 * 1024, r"unexpected reply: (not JSON|no heartbeat in it)$")):
            for args in sample((["list"], ["get", "x"], ["--json", "get", "x"], ["pause", "x"]), 2):
                with self.subTest(n=n, args=args):
                    srv = self.server(plan=[("big", n)])
                    res = self.run_hbctl(*args, srv=srv)
                    self.assertFails(res, 1, said)
        srv = self.server(plan=[("big", 1024 * 1024 + 1)])
        res = self.run_hbctl("--json", "list", srv=srv)
        self.assertFails(res, 1, r"longer than 1 MiB")
        self.assertEqual(len(srv.requests), 1)

    def test_1_error_text_from_error_then_message_then_the_body(self):
        for body, said in ((b'{"error":"e","message":"m"}', "e"), (b'{"message":"m"}', "m"),
                           (b'{"detail":"d"}', '{"detail":"d"}'), (b"plain words", "plain words")):
            with self.subTest(body=body):
                srv = self.server(plan=[("status", 400, {}, body)])
                res = self.run_hbctl("list", srv=srv)
                self.assertFails(res, 1, r"^hbctl: list: %s \(HTTP 400\)$" % re.escape(said))

    def test_1_upper_bounds_are_the_servers(self):
        # hbctl sends what the fake (the SDK table's 86400) refuses: its text
        for args, field, value in ((["create", "weekly", "--interval", "604800"],
                                    "interval_secs", 604800),
                                   (["create", "x", "--grace", "86401"], "grace_secs", 86401)):
            with self.subTest(args=args):
                res = self.run_hbctl(*args)
                self.assertFails(res, 1, r"^hbctl: create: %s must be a whole number from \d+ "
                                         r"to 86400 \(HTTP 400\)$" % field)
                self.assertEqual(self.body(self.srv.requests[-1])[field], value)
        hb = self.store.add()
        res = self.run_hbctl("update", hb["id"], "--interval", "86401")
        self.assertFails(res, 1, r"interval_secs must be .* \(HTTP 400\)$")
        self.assertEqual(self.store.heartbeats, [hb])

    def test_2_nothing_sent(self):
        proxy = self.server()
        env = self.env(http_proxy=proxy.base, HTTP_PROXY=proxy.base)
        cases = [
            (["list"], {"TICKSTEM_API_KEY": None}, r"no API key"),
            (["--api-key", "two words", "list"], {"TICKSTEM_API_KEY": None}, r"white space"),
            (["create", "x", "--interval", "59"], {}, r"--interval"),
            (["create", "x", "--interval", "2147483648"], {}, r"--interval"),
            (["create", "x", "--grace", "-1"], {}, r"--grace"),
            (["ensure", "x", "--interval", "59"], {}, r"--interval"),
            (["ensure", "bad \udcff name"], {}, r"not valid UTF-8"),
            (["create", "bad \udcff name"], {}, r"not valid UTF-8"),
            (["update", "hb"], {}, r"nothing to change"),
            (["update", "hb", "--interval", "0"], {}, r"--interval"),
            (["pings", "hb", "--limit", "0"], {}, r"--limit"),
            (["pings", "hb", "--limit", "101"], {}, r"--limit"),
            (["--deadline", "0", "list"], {}, r"--deadline"),
            (["frobnicate"], {}, r"unknown command"),
            (["get"], {}, r"get takes one ID"),
            (["list", "--json"], {}, r"before 'list'"),
            ([], {}, r"no command"),
        ]
        for args, extra, said in cases:
            with self.subTest(args=args):
                res = self.run_hbctl(*args, env=self.env(**extra))
                self.assertFails(res, 2, said)
        res = hbctl(["--api-url", "http://example.invalid/v1", "list"], env)
        self.assertFails(res, 2, r"refusing plain http")
        res = hbctl(["--api-url", "ftp://127.0.0.1/v1", "list"], env)
        self.assertFails(res, 2, r"neither https nor http")
        res = hbctl(["--api-url", "not a url", "list"], env)
        self.assertFails(res, 2, r"not a valid URL")
        self.assertNothingSent()
        self.assertNothingSent(proxy, wait=0)

    def test_3_unauthorized(self):
        hb = self.store.add()
        for args in sample((["list"], ["get", hb["id"]], ["create", "x"],
                            ["update", hb["id"], "--grace", "1"], ["pause", hb["id"]],
                            ["resume", hb["id"]], ["delete", hb["id"]], ["pings", hb["id"]],
                            ["ensure", "x"]), 4):
            with self.subTest(args=args):
                res = self.run_hbctl(*args, env=self.env(TICKSTEM_API_KEY=WRONG_KEY))
                self.assertFails(res, 3, r"invalid or revoked API key \(HTTP 401\)$")
                self.assertEqual(leaks(res.stderr, WRONG_KEY), [])
                self.assertEqual(self.srv.requests[-1].headers["authorization"],
                                 "Bearer " + WRONG_KEY)
        self.assertEqual(len(self.store.heartbeats), 1)
        self.assertEqual(self.store.heartbeats[0], hb)

    def test_4_plan_limit(self):
        for i in range(5):
            self.assertDone(self.run_hbctl("create", "job %d" % i))
        res = self.run_hbctl("create", "sixth")
        self.assertFails(res, 4, r"^hbctl: create: heartbeat limit reached: the free plan "
                                 r"allows 5 \(HTTP 402\)$")
        self.assertEqual(len(self.store.heartbeats), 5)
        self.assertEqual(len(self.srv.requests), 6)

    def test_5_not_found(self):
        for args in sample((["get", "nope"], ["update", "nope", "--name", "n"], ["pause", "nope"],
                            ["resume", "nope"], ["delete", "nope"], ["pings", "nope"]), 3):
            with self.subTest(args=args):
                res = self.run_hbctl(*args)
                self.assertFails(res, 5, r"^hbctl: %s: heartbeat not found \(HTTP 404\)$"
                                 % args[0])
        token = "Zq7XkW9vPj3mNb5RtY2hLs4D"
        res = self.run_hbctl("ping", token)
        self.assertFails(res, 5, r"token 'Zq7X\.\.\.' is wrong or the heartbeat was deleted")
        self.assertEqual(leaks(res.stderr, token), [])

    def test_status_without_a_body_still_says_what_it_means(self):
        for code, status, said in ((401, 3, "unauthorized"), (402, 4, "quota exceeded"),
                                   (404, 5, "not found"), (418, 1, "refused")):
            with self.subTest(code=code):
                srv = self.server(plan=[("status", code, {}, b"")])
                res = self.run_hbctl("list", srv=srv)
                self.assertFails(res, status, r"^hbctl: list: %s.* \(HTTP %d\)$" % (said, code))


class TestRetries(HbctlCase):
    def test_reads_are_retried(self):
        hb = self.store.add()
        for plan in ([("status", 503, {}, b'{"error":"busy"}'), ("store",)],
                     [("reset",), ("store",)], [("empty",), ("store",)],
                     [("retry_after", 429, "1"), ("store",)]):
            with self.subTest(plan=plan[0][0]):
                srv = self.server(store=self.store, plan=plan)
                res = self.run_hbctl("get", hb["id"], srv=srv)
                self.assertDone(res)
                self.assertEqual(len(srv.requests), 2)
        reqs = srv.requests
        self.assertGreaterEqual(reqs[1].time - reqs[0].time, 0.9)   # Retry-After: 1

    def test_update_delete_and_ping_are_retried(self):
        hb = self.store.add()
        for args in (["update", hb["id"], "--grace", "5"], ["pause", hb["id"]],
                     ["ping", hb["token"]], ["delete", hb["id"]]):
            with self.subTest(args=args):
                srv = self.server(store=self.store,
                                  plan=[("status", 502, {}, b""), ("store",)])
                res = self.run_hbctl(*args, srv=srv)
                self.assertDone(res)
                self.assertEqual(len(srv.requests), 2)
        self.assertEqual(self.store.heartbeats, [])

    def test_create_is_not_retried_once_it_may_have_arrived(self):
        for plan in ([("status", 503, {}, b'{"error":"busy"}'), ("store",)],
                     [("status", 429, {}, b""), ("store",)],
                     [("reset",), ("store",)], [("empty",), ("store",)]):
            with self.subTest(plan=plan[0]):
                srv = self.server(store=self.store, plan=plan)
                res = self.run_hbctl("create", "once", srv=srv)
                self.assertFails(res, 1, r"not retried, as it may have reached the server$")
                self.assertEqual(len(srv.requests), 1)
        self.assertEqual(self.store.heartbeats, [])

    def test_a_lost_reply_never_makes_a_second_heartbeat(self):
        srv = self.server(store=self.store, plan=[("store_lost",), ("store",)])
        res = self.run_hbctl("create", "once", srv=srv)
        self.assertFails(res, 1, r"^hbctl: create: no reply from .*not retried")
        self.assertEqual(len(srv.requests), 1)
        self.assertEqual([h["name"] for h in self.store.heartbeats], ["once"])
        # a list after the same loss is simply asked again
        srv = self.server(store=self.store, plan=[("store_lost",), ("store",)])
        self.assertDone(self.run_hbctl("list", srv=srv))
        self.assertEqual(len(srv.requests), 2)

    def test_deadline_ends_a_hung_request(self):
        srv = self.server(plan=[("hang",)])
        res = self.run_hbctl("--deadline", "1.5", "list", srv=srv)
        self.assertFails(res, 1, r"no reply from")
        self.assertGreaterEqual(res.elapsed, 1.4, res)
        self.assertLess(res.elapsed, upper(1.5 + 1.5), res)

    def test_at_most_five_retries(self):
        srv = self.server(plan=[("retry_after", 503, "1")])
        res = self.run_hbctl("--deadline", "20", "list", srv=srv)
        self.assertFails(res, 1, r"after 6 attempts; no retries left$")
        self.assertEqual(len(srv.requests), 6)

    def test_a_delete_lost_then_404_says_so(self):
        hb = self.store.add()
        srv = self.server(store=self.store, plan=[("store_lost",), ("store",)])
        res = self.run_hbctl("delete", hb["id"], srv=srv)
        self.assertFails(res, 5, r"an earlier attempt may have deleted it$")
        self.assertEqual(self.store.heartbeats, [])


class TestSecrets(HbctlCase):
    def test_the_key_is_never_printed(self):
        echo = ('{"error":"key %s is not valid here"}' % KEY).encode()
        srv = self.server(plan=[("status", 400, {}, echo)])
        res = self.run_hbctl("list", srv=srv)
        self.assertFails(res, 1, r"key \.\.\. is not valid here")
        res = hbctl(["--api-url", "http://127.0.0.1:%d/v1" % unused_port(), "--deadline", "1.5",
                     "--api-key", KEY, "list"], self.env(TICKSTEM_API_KEY=None))
        self.assertFails(res, 1)

    def test_key_and_token_are_overwritten_in_argv(self):
        srv = self.server(plan=[("hang",)])
        token = "Zq7XkW9vPj3mNb5RtY2hLs4D"
        for args in (["--api-key", KEY, "list"], ["ping", token]):
            with self.subTest(args=args[-1]):
                p = subprocess.Popen([HBCTL, "--api-url", srv.url, "--deadline", "5"] + args,
                                     env=self.env(TICKSTEM_API_KEY=None), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                try:
                    n = len(srv.requests)
                    self.assertTrue(srv.wait_requests(n + 1, scaled(5)), "no request arrived")
                    with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                        cmdline = f.read().decode("latin-1")
                finally:
                    p.kill()
                    p.communicate()
                self.assertIn("--api-url", cmdline)
                self.assertEqual(leaks(cmdline, KEY), [], cmdline)
                self.assertEqual(leaks(cmdline, token), [], cmdline)


class TestTLS(TLSServerCase, HbctlCase):
    CERTS = {"ca": certs.ca(), "cert": certs.signed("ca")}

    def test_https_with_an_extra_ca(self):
        srv = self.server(store=self.store, tls=self.cert)
        res = self.run_hbctl("--cacert", self.ca[0], "list", srv=srv)
        self.assertDone(res)
        # The refusal comes from the handshake, which under valgrind on a
        # busy machine can take longer than 3 s.
        res = self.run_hbctl("--deadline", "%g" % scaled(3), "list", srv=srv)
        self.assertFails(res, 1, r"TLS")
        self.assertEqual(len(srv.requests), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
