"""The requests Tickstem's published clients send, written down as a table.

Read from the Node SDK as published on the npm registry,
@tickstem/heartbeat 0.2.0 (`npm pack @tickstem/heartbeat@0.2.0`, file
dist/index.js, and the request helper of its base client that it extends),
and from Tickstem's Python SDK for the one call where the two differ (pause
and resume).  The fake API's contract tests (selftest_clients.py) send each
of these exactly and check the fake answers as the client expects; hbctl's
tests (tests/e2e/test_hbctl.py) check that hbctl sends the same shapes.
Nothing here is the SDKs' code: only the facts of what goes on the wire.

A shape: (call, method, path, body).  PATH holds {id}, {token} or {limit}
for the values; BODY is a dict sent as compact JSON, or None for no body.
"""

# Every management call of the Node SDK carries these, body or not; the
# ping carries only the User-Agent (the token is its credential).
NODE_MANAGEMENT_HEADERS = {
    "Authorization": "Bearer {key}",
    "User-Agent": "tickstem-node/0.1.0",
    "Content-Type": "application/json",
    "Accept": "application/json",
}
NODE_PING_HEADERS = {"User-Agent": "tickstem-node/0.1.0"}

NODE_SDK = [
    ("list", "GET", "/heartbeats", None),
    ("get", "GET", "/heartbeats/{id}", None),
    # CreateParams: name, and interval_secs and grace_secs when given
    ("create", "POST", "/heartbeats",
     {"name": "nightly", "interval_secs": 3600, "grace_secs": 300}),
    ("create", "POST", "/heartbeats", {"name": "bare"}),
    # UpdateParams: only the fields given
    ("update", "PATCH", "/heartbeats/{id}", {"grace_secs": 60}),
    ("pause", "POST", "/heartbeats/{id}/pause", None),
    ("resume", "POST", "/heartbeats/{id}/resume", None),
    # limit defaults to 50
    ("pings", "GET", "/heartbeats/{id}/pings?limit={limit}", None),
    ("ping", "POST", "/heartbeats/{token}/ping", None),
    ("delete", "DELETE", "/heartbeats/{id}", None),
]

# What the Node SDK makes of a reply: a list reply's array, where null (or
# absent) is taken as empty; a 2xx body parsed as JSON if there is one; an
# error's text from "error", else "message", else the status text.
NODE_LIST_KEYS = {"list": "heartbeats", "pings": "pings"}

# The Python SDK's pause and resume (its other calls send the Node shapes).
PYTHON_SDK = [
    ("pause", "PATCH", "/heartbeats/{id}", {"status": "paused"}),
    ("resume", "PATCH", "/heartbeats/{id}", {"status": "active"}),
]


def shape(call, client=NODE_SDK):
    """The first shape of CALL in CLIENT's table."""
    for entry in client:
        if entry[0] == call:
            return entry
    raise KeyError(call)
