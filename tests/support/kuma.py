"""A real Uptime Kuma on 127.0.0.1 for the tests, from npm.

The install (npm uptime-kuma 2.0.0-dev.0 and socket.io-client; a few
minutes, its sqlite3 compiles) is cached in $HBRUN_KUMA_CACHE, by default
/var/cache/hbrun-tests/kuma, and reused.  Without node and npm, or when the
install fails, unavailable() says why and the tests skip.

Two faults of that package are worked around in the cached copy, never in
its code: the db/patch-*.sql files its old migrations look for in
db/old_migrations/ are copied there; and the data folder gets a
db-config.json naming SQLite before the first start, without which its
heartbeat queries fail.
"""

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

import daemons
from fakeapi import unused_port

VERSION = "2.0.0-dev.0"
CACHE = os.environ.get("HBRUN_KUMA_CACHE", "/var/cache/hbrun-tests/kuma")
PACKAGE = os.path.join(CACHE, "node_modules", "uptime-kuma")
SETUP_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kuma_setup.js")
INSTALL_TIMEOUT = 1200


def _installed():
    try:
        with open(os.path.join(PACKAGE, "package.json")) as f:
            ok = json.load(f).get("version") == VERSION
    except (OSError, ValueError):
        return False
    binding = glob.glob(os.path.join(CACHE, "node_modules", "@louislam", "sqlite3",
                                     "lib", "binding", "*", "node_sqlite3.node"))
    sio = os.path.isdir(os.path.join(CACHE, "node_modules", "socket.io-client"))
    return ok and bool(binding) and sio


def _install():
    """Install into the cache; None, or why it could not be."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            return "%s is not installed" % tool
    try:
        os.makedirs(CACHE, exist_ok=True)
        if not os.path.exists(os.path.join(CACHE, "package.json")):
            with open(os.path.join(CACHE, "package.json"), "w") as f:
                f.write('{"name": "hbrun-kuma-tests", "private": true}\n')
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                            "uptime-kuma@" + VERSION, "socket.io-client@4"],
                           cwd=CACHE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=INSTALL_TIMEOUT)
        if p.returncode == 0 and not _installed():
            # sqlite3's install script did not run: build it through npm.
            p = subprocess.run(["npm", "rebuild", "@louislam/sqlite3"], cwd=CACHE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "npm install failed: %s" % e
    if not _installed():
        tail = p.stdout.strip().splitlines()[-3:]
        return "npm install of uptime-kuma %s failed: %s" % (VERSION, " | ".join(tail))
    return None


def _work_around():
    old = os.path.join(PACKAGE, "db", "old_migrations")
    for path in glob.glob(os.path.join(PACKAGE, "db", "patch-*.sql")):
        target = os.path.join(old, os.path.basename(path))
        if not os.path.exists(target):
            shutil.copyfile(path, target)


_why_not = False


def unavailable():
    """None when Uptime Kuma can run here, else the reason it cannot."""
    global _why_not
    if _why_not is False:
        _why_not = None if _installed() else _install()
        if _why_not is None:
            _work_around()
    return _why_not


class Kuma:
    """One Uptime Kuma server with a fresh data folder and a push monitor."""

    USER, PASSWORD = "admin", "hbrun-test-Passw0rd"

    def __init__(self, push_token):
        self.push_token = push_token
        self.port = unused_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.data = tempfile.mkdtemp(prefix="hbrun-kuma-")
        self.proc = None
        self.monitor_id = None

    def start(self, timeout=120):
        with open(os.path.join(self.data, "db-config.json"), "w") as f:
            json.dump({"type": "sqlite", "client": "sqlite3"}, f)
        env = dict(os.environ, UPTIME_KUMA_HOST="127.0.0.1",
                   UPTIME_KUMA_PORT=str(self.port), DATA_DIR=self.data + "/",
                   NODE_ENV="production")
        self.log = open(os.path.join(self.data, "server.log"), "w")
        self.proc = subprocess.Popen(["node", "server/server.js"], cwd=PACKAGE, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("Uptime Kuma did not start:\n" + self.server_log())
            time.sleep(0.2)
        env = dict(os.environ, NODE_PATH=os.path.join(CACHE, "node_modules"))
        p = subprocess.run(["node", SETUP_JS, self.base, self.USER, self.PASSWORD,
                            self.push_token], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("Uptime Kuma setup failed: %s\n%s" % (p.stderr,
                                                                     self.server_log()))
        self.monitor_id = int(p.stdout.strip())
        return self

    def _answers(self):
        try:
            with urllib.request.urlopen(self.base + "/api/entry-page", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def server_log(self):
        try:
            with open(os.path.join(self.data, "server.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def beats(self):
        """The stored heartbeats of the monitor, oldest first: (status, msg, ping)."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data, "kuma.db"),
                             uri=True, timeout=10)
        try:
            return db.execute("SELECT status, msg, ping FROM heartbeat WHERE monitor_id = ? "
                              "ORDER BY id", (self.monitor_id,)).fetchall()
        finally:
            db.close()

    def stop(self):
        if self.proc:
            daemons.stop(self.proc, 20)
        if self.proc:
            self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)
