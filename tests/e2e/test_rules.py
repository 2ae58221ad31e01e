"""The two rules, over generated inputs: a property test of the real hbrun.

hbrun promises, above everything else (SPEC, top): (1) the job always runs
and keeps its exit status; (2) a success request (ping) is sent only when the
job succeeded.  This test generates many cases from a seed -- command lines,
environments, config and token files (good, broken, empty, special files,
bad modes and owners, odd bytes, several sections), job control, service
presets, the start, success and fail templates, the method and the output
tail (send_output) at every level, and jobs (exit 0, exit N, killed by a
signal, asked to stop, timed out, a missing command) that write known
output -- runs each against local fake servers and asserts, for every case:

- the job ran exactly once (it appends a line to a marker file), unless
  hbrun's command line was unusable (125: a bad number or an unknown option;
  an empty or unusable monitoring value is never a usage error), the
  command could not run (127) or its lock was held by another run (75: the
  test holds it);
- hbrun's exit status is the job's (exit N: N; killed by signal S: hbrun
  dies of S);
- a success request arrives only for a job that exited 0 and was not asked
  to stop, and only the one the SPEC picks: POST {api_url}/heartbeats/
  {escaped token}/ping or the ping_url template with {token} filled, with
  the token and the URL of the right level -- never a token from an unusable
  or untrusted source, never another section's, never a guessed replacement
  (a lower level, or the default API);
- the end request is exactly one (a server that answered 200 gets no
  second attempt): the success request above for a success, else the fail
  request (the fail_url template or the preset's; non-zero, signal, asked
  to stop, timed out, 127), and none for 125 or 75; the start request (the
  start_url template or the preset's) at most once, only for a job that
  was started; all with their fields filled: {token}, {run_id} (a UUID,
  the same in every request of the run and the job's own HBRUN_RUN_ID, no
  other case's), {exit_status} and {duration_ms} (empty in the start
  request; never 0 in a fail request; the duration within the run, at
  least the timeout of a timed-out job, 0 for a command that never ran)
  and {message};
- each request's method: POST, or GET with method GET (any case) or the
  uptime-kuma preset; with send_output and POST the end request's body is
  the tail of the job's output (Content-Type: text/plain), resent whole on
  every attempt; no other request has a body; send_output with GET draws a
  warning (unless quiet);
- what the job wrote reached hbrun's stdout byte for byte and its stderr
  line for line, in order, beside hbrun's own lines, with or without
  send_output's pipes (some jobs write past a pipe's capacity);
- with --metrics-file (a quarter of the cases: a new file, a previous one
  hbrun wrote for the job, a corrupt one, another user's, a group-writable
  one, a FIFO or a folder in its place, a missing or unwritable folder, an
  empty value), the status and the requests are all of the above, as if
  it were not set; the file, where one may be written, counts the run's
  result once more than a file hbrun wrote for the job and once after any
  other, and says the exit status; where none may be (125, a config file
  that blocks every monitoring setting, an unusable value or folder),
  whatever stood there is left as it was, as it is when hbrun says the
  deadline's share did not see the file written (or is quiet); and
  `promtool check metrics` accepts the first 40 files the cases left;
- output_on_failure (--output-on-failure, or a boolean in a file: the
  highest level decides, a bad value is ignored): after a success (exit 0
  or a success_status, not asked to stop, not timed out) the job's output
  reaches neither stdout nor stderr; after any other ending it arrives as
  above;
- no output shows more than 4 characters of any token of the case;
- every line on stderr starts with "hbrun: ", and a quiet run (-q, or quiet
  in the file, the later of -q/-v on the command line winning) prints none;
- hbrun ends within the ping deadline after the job (plus 2 s and
  HBRUN_TIME_SLACK; 1 s when only the start request's last second or the
  output's last reads may follow the job; none when nothing is due), not
  counting the time it spent on a CPU or waiting for one (the machine's
  speed and load: harness.process_times) and measured from the job's own
  note of its end to hbrun's end as harness.exit_clock() saw it; a case
  idle 15 s past its bound is killed (its process group) and reported with
  where it was stuck (/proc/PID/wchan), so a hang (a FIFO opened blocking)
  fails the case instead of the suite.  A case whose only fault is ending late is run
  again, a few at a time, and fails only when late again: idle time still
  holds what hbrun waited for from a starved fake server or a saturated
  disk, which a machine under a load of hundreds stretches by seconds.

Which level a request came from is read off its path: every level has its
own prefix on the servers (/c<case>/cli/v1, /env/v1, /s-<section>/v1,
/global/v1; /broken-<section>/v1 under a broken header, /decoy/v1 in a
config file that must not be read, unless a service case, which names no
file, finds it; /<level>/p/{token}, /<level>/s/{token} and
/<level>/f/{token} for ping_url, start_url and fail_url), and the case
number in the path ties each request to its case.  The default API is
reached only through the proxy variables, which point at a catching server
with the case number as the proxy user, so a fall back to the default is
seen too.

The expected outcome comes from expect(), a pure function of the case: a
small reference reader of the SPEC's INI dialect and its precedence rules,
unit-checked on hand cases (OracleTest, EventsOracleTest) before the
generated ones run.

Readings where the SPEC leaves room (the lead reconciles):
- "Set but unusable" is per setting and per level; the credential is
  token + token_file: the highest level that sets either decides, token
  winning at one level; an unusable token or token file there means no
  request, never a lower level.  A token of "." or "..", a token file that
  is not a regular file (after following links), missing, untrusted
  (group/other-writable or another owner), holding a NUL byte, or whose
  first line is empty or blank is unusable.
- A quoted empty value (token = "") is empty, so unusable.
- A line is read whole, whatever its length (a value of 300 characters is
  used whole; headers and their comments run to several KiB).
- A header is [NAME] followed by nothing but white space or a comment (';'
  or '#' and what follows), NAME trimmed ([ backup ] is [backup]), not
  empty, without '[', ']', ';' or '#' (header_name()).  Any other line
  starting with '[' is a broken header ([backup, [b ;x], [], [j]x, [a]b],
  [[a]]): every key up to the next good header is ignored (never merged
  into the section above or the global part); a good [backup] elsewhere in
  the file is still the section of -j backup.  -j '' (or white space) is a
  usage error (125).
- A token from any level loses the white space around it, as a token
  file's first line does; a token of white space only is set but
  unusable.
- A bad number or boolean in a file is ignored (the level below applies).
  A bad number on the command line (empty, not a number, negative, 0
  seconds, a fraction of retries) is 125; the upper ends are not tested.
- A config file named by -c or HBRUN_CONFIG, or found by the search, that
  is missing (named), a FIFO, a directory, /dev/null, untrusted or holding
  a NUL byte: no request at all, even with -t on the command line.  The
  search never goes on past a named file.  -c '' is not generated (whether
  it blocks every request or only the file is open).
- A config file's relative token_file is relative to the folder of the path
  hbrun was given; a symbolic link to a config file here always points into
  its own folder, so the link's folder and the target's are the same.
- Every generated template (ping_url, start_url, fail_url) holds {token} (a
  template without it needs no token, and whether an unusable token still
  blocks it is open), and where a template is set at any level, every
  api_url of the case is usable (whether an unusable api_url blocks a
  template is open).
- api_url may hold no query, fragment or user info; a template may hold a
  query, not a fragment or user info (judged once its fields are filled).
- Each template is its own setting: the highest level that sets it decides
  its event alone, and an unusable one there (empty, too long, a fragment,
  user info, any '{' that is neither '{{' nor one of the five fields,
  which are case-sensitive: '{Token}', '{ token}', '{run-id}', a '{' at
  the end) means no request of that event, never a lower level's template
  nor the preset's.  '{{' is a literal '{', and a lone '}' is literal.
- The start request: at most once (the attempts of a server that did not
  answer 200 aside), never for a command that never ran (126/127) nor for
  125 or 75.  It may be abandoned a second after the job ends, so its absence
  fails no case; the summary line says in how many cases it came.
- The end request's fields: a success has {exit_status} 0 and {message}
  OK, also for a success_status.  A fail has the job's status, 128+S when
  killed by signal S, 143 with "stopped by signal 15 (TERM)" for a run
  asked to stop by TERM whatever the job then did (exit 0 included), 124
  with "timed out after SECS s" (SECS as %g prints it), 127 with "command
  not found" and {duration_ms} 0.
- method: the highest level decides, in any case; any other word (PUT,
  HEAD, "post get"), an empty value or a line too long there means no
  request at all, the templates' included.  Without one, POST (uptime-kuma: GET).
- send_output: 0 to 1048576; on the command line anything else is 125; in
  a file a bad or too long value is ignored (the level below applies).
  With POST, the end request's body is the last min(BYTES, all) bytes the
  job wrote to stdout and stderr, each stream's bytes in order, the two
  interleaved in any way (the order hbrun read them is not known here),
  with Content-Type text/plain -- also when the job wrote nothing, or never
  ran (an empty body).  With GET there is no body (and a warning).  A
  request without a body is sent without Content-Type.
- Services: the command line names one (with its base, --api-url, and its
  token), or a section or the global part of the file does (with an
  api_url beside it), in any case.  api_url and the three templates apply
  only at the service's level or a higher one: a lower one is as if not
  set.  A template that applies replaces the preset's request of its event
  only.  Only tickstem's default API is reached through the proxy.
- hbrun's stdout is a regular file, or (Gen.reader) a pipe read slowly
  (40 KB/s: everything the job wrote still arrives, byte for byte, and the
  ping deadline counts from when the reader had the job's last byte) or a
  pipe whose reader has gone (the job then writes no big output to stdout
  and ignores SIGPIPE, so that its ending stays the case's; nothing is
  asserted of stdout, and the tail holds some first part of what it wrote
  there).  A terminal is test_output.py's.
- Seconds spelt as strtod() reads them but hbrun(1) does not (hex,
  exponents, signs, white space, suffixes) on the command line (125) and
  in a file (ignored, warned): seconds_spelling(), round3_file_lines().
  A cacert relative to the config file's folder, there or not, and
  SSL_CERT_FILE or SSL_CERT_DIR set to anything change no loopback http
  request: trust_env().
- The new presets, the monitor, headers and what the job cost (a tenth of
  the cases, all on the command line): sentry's check-ins under the DSN's
  /api/PROJECT/cron/MONITOR/KEY/ (an api_url given with the service in
  place of its host; a DSN without key or project: no request; its output
  never sent, with a warning), cronitor's run/complete/fail, healthchecks'
  KEY/SLUG tokens and, with --monitor, slug URLs with create=1 (a slug and
  a monitor, or an empty monitor: no request); the monitor is --monitor,
  else the -j NAME, and '', '.' or '..' is none; any unusable --header
  means no request at all, and every request carries the others as given;
  {duration_s} is {duration_ms} in seconds, {max_rss_kb} and {cpu_ms}
  numbers, all three empty in a start request.  A sentry case with a
  schedule (and POST, and no start_url) sends its start request with a JSON
  body: in_progress, the run id, a monitor_config with its schedule.
  SENTRY_DSN (a few cases, often the sentry case's DSN moved there from
  -t): the token of the sentry service where no level gives one, trimmed,
  empty as unset; every other service and every level's token ignore it:
  sentry_dsn_env().
Not generated: config files over 1 MiB, --cacert, duplicate keys in one
section (except an api_url beside a service), the same section twice, a
Ping-Body-Limit header, a config file found by the search that the caller
may not read (test_examples3.py runs hbrun as another user for that).

Environment: HBRUN_RULES_SEED (default random; always printed),
HBRUN_RULES_CASES (default 3000; 1000 under ASan, 40 under valgrind),
HBRUN_RULES_ONLY (run only the case of that number, for a reproduction),
HBRUN_RULES_JOBS (cases at once), HBRUN_RULES_FAILURES (how many failing
cases to describe, default 10).

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_rules.py
    HBRUN_RULES_SEED=42 HBRUN_RULES_ONLY=17 HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_rules.py
"""

import base64
import collections
import concurrent.futures
import fcntl
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import Sandbox  # noqa: E402
from fakeapi import FakeAPI  # noqa: E402

ROOT = os.geteuid() == 0
# The cases run in their sandbox: $HBRUN may be relative to ours.
HBRUN_ARGV = harness.WRAPPER + [os.path.abspath(harness.HBRUN)]
OTHER_UID = 12345
BOM = b"\xef\xbb\xbf"
LONG = object()          # a string key on a line too long: set, unusable
SECTIONS = ("backup", "db", "web")
STRING_KEYS = ("token", "token_file", "api_url", "ping_url", "start_url", "fail_url",
               "method")
XDG_CONF = "xdg/hbrun/hbrun.conf"
MISSING_CMD = "/nonexistent-hbrun-rules/job"
# A case still running this long past its time bound is killed and failed
# (a hang: a FIFO opened blocking); the margin absorbs a loaded machine.
HANG = 15.0
HARD_LIMIT = 300.0
DEFAULT_TARGET = "api.tickstem.dev:443"
# Tokens alternate upper- and lower-case consonants: none of their 5-grams
# is a word, a number (a port, a PID) or part of a path hbrun could print.
UPPER = "BCDFGHJKLMNPQRSTVWXZ"
LOWER = UPPER.lower()
ODD = (" ", "/", "%", "%2F", "\u00e9", "+", "\u00fc\u20ac", "a b", "..", "?", "&", "=")
VALGRIND_NOTE = re.compile(r"^--\d+-- ")
# The job's output: words of vowels and few consonants, all lower-case on
# stdout and upper-case on stderr, so that no 5 characters of them are a
# token's (which mix the two cases) and no line of them is hbrun's.
OUTPUT_WORDS = ("aloe", "audio", "iota", "queue", "eerie", "aura", "oleo", "ouija")
SEND_OUTPUT = ("0", "1", "7", "100", "4096", "65536", "1048576")
# schedule and tz: valid, unusable (a warning, no figure) or empty, at every
# level; hbrun reads them for --check and for what takes a schedule, and
# neither may change the job's status or the requests of a run.
SCHEDULES = (("0 9 * * 1-5", "ok"), ("@daily", "ok"), ("02:30", "ok"),
             ("Mon..Fri 09:00; Sat 10:00", "ok"), ("*/5 * * * *", "ok"),
             ("0 0 29 2 *", "ok"), ("*-*-* 09:00 Asia/Kolkata", "ok"),
             ("@reboot", "bad"), ("61 * * * *", "bad"), ("not a schedule", "bad"),
             ("5/15 * * * *", "bad"), ("0 0 30 2 *", "never"), ("", "empty"))
# Fractions of seconds: what systemd takes, what it refuses, and more due
# times a day than hbrun keeps (refused: see hbrun(1)).
SCHEDULES += (("*:*:1.5..3/0.5", "ok"), ("Mon 09:00:00.5 UTC", "ok"),
              ("*:*:59.5/0.5", "bad"), ("*:*:0/0.01", "bad"))
ZONES = (("Europe/Berlin", "ok"), ("UTC", "ok"), ("Asia/Kolkata", "ok"),
         ("Mars/Base", "bad"), ("../../etc/passwd", "bad"), ("", "empty"))
SCHEDULE_OPTIONS = {"--schedule": "schedule", "--tz": "tz"}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
JOB_SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP,
               signal.SIGINT, signal.SIGALRM, signal.SIGUSR2)


# ---- the oracle: a pure function from a case to what must happen ----------

def parse_retries(s):
    return int(s) if re.fullmatch(r"[0-9]+", s) and int(s) <= 100 else None


def parse_seconds(s):
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", s):
        return None
    v = float(s)
    return v if 0 < v <= 86400 else None


def parse_bool(s):
    s = s.lower()
    if s in ("true", "yes", "on", "1"):
        return True
    if s in ("false", "no", "off", "0"):
        return False
    return None


def parse_bytes(s):
    return int(s) if re.fullmatch(r"[0-9]+", s) and int(s) <= 1048576 else None


NUMBERS = {"ping_retries": parse_retries, "ping_timeout": parse_seconds,
           "ping_deadline": parse_seconds, "quiet": parse_bool, "allow_http": parse_bool,
           "send_output": parse_bytes}
NUMBERS["output_on_failure"] = parse_bool


def parse_range(s, low, high, zero):
    """Seconds in (0, HIGH], or [0, HIGH] when ZERO: None when unusable."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", s):
        return None
    v = float(s)
    return v if (v >= low if zero else v > low) and v <= high else None


def parse_statuses(s):
    """A success_status list: statuses 1-255, comma-separated, or None."""
    words = s.split(",")
    if not all(re.fullmatch(r"[0-9]+", w) and 1 <= int(w) <= 255 for w in words):
        return None
    return {int(w) for w in words}


# Job control on the command line: a bad value is a usage error (125).
JOB_CONTROL = {
    "--timeout": lambda s: parse_range(s, 0, 2678400, False),
    "--kill-after": lambda s: parse_range(s, 0, 86400, True),
    "--random-delay": lambda s: parse_range(s, 0, 86400, True),
    "--success-status": parse_statuses,
    # A lock file that cannot be made (empty, or a folder) is unusable.
    "--lock": lambda s: None if s == "" or s.endswith("/") else s,
}


def header_name(line):
    """The section a header line (white space around it gone) opens: its
    NAME, or None for a broken header -- anything but '[' NAME ']' and then
    nothing but white space or a comment (';' or '#'), NAME trimmed, not
    empty, and without '[', ']', ';' or '#'."""
    close = line.find("]")
    if close < 0:
        return None
    name = line[1:close].strip(" \t\r\v\f")
    rest = line[close + 1:].strip(" \t\r\v\f")
    if not name or any(c in name for c in "[;#") or (rest and rest[0] not in ";#"):
        return None
    return name


def read_ini(data):
    """The SPEC's INI dialect: (global, {section: settings}), or None when
    the file is unusable (a NUL byte).  A string value is a str ('' when
    empty) or LONG; bad numbers and booleans are left out."""
    if b"\0" in data:
        return None
    if data.startswith(BOM):
        data = data[len(BOM):]
    glob, sections = {}, {}
    cur = glob
    for raw in data.decode("utf-8", "surrogateescape").split("\n"):
        line = raw.strip(" \t\r\v\f")
        if not line or line[0] in ";#":
            continue
        if line[0] == "[":
            name = header_name(line)
            # a broken header opens a section that matches no job
            cur = None if name is None else sections.setdefault(name, {})
            continue
        m = re.search(r"[ \t];", line)
        if m:
            line = line[:m.start()]
        if "=" not in line:
            continue  # syntax error
        key, value = (x.strip(" \t\r\v\f") for x in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if cur is None:
            continue
        long_line = False  # no length decides what a line is
        if key in STRING_KEYS + ("service", "schedule", "tz"):
            cur[key] = LONG if long_line else value
        elif key in NUMBERS and not long_line:
            v = NUMBERS[key](value)
            if v is not None:
                cur[key] = v
    return glob, sections


def rel(path, base=""):
    """A path as the case's file table names it ('@/' is the sandbox)."""
    if path.startswith("@/"):
        return os.path.normpath(path[2:])
    if path.startswith("/"):
        return path
    return os.path.normpath(os.path.join(base, path))


def lookup(files, path, depth=0):
    """The file spec at PATH, links followed; None when missing."""
    if path == "/dev/null":
        return {"kind": "chardev"}
    spec = files.get(path)
    if spec is not None and spec["kind"] == "symlink" and depth < 8:
        return lookup(files, rel(spec["target"], os.path.dirname(path)), depth + 1)
    return spec


def usable_file(spec):
    """The bytes of a regular, trusted file, or None."""
    if spec is None or spec["kind"] != "file":
        return None
    if spec["mode"] & 0o022 or spec.get("owner", 0) not in (0, os.geteuid()):
        return None
    if b"\0" in spec["data"]:
        return None
    return spec["data"]


def parse_cli(words):
    """(settings, job, config, quiet) of hbrun's options, or None (125)."""
    names = {"-t": "token", "--token": "token", "--token-file": "token_file",
             "--api-url": "api_url", "--ping-url": "ping_url",
             "--ping-retries": "ping_retries", "--ping-timeout": "ping_timeout",
             "--ping-deadline": "ping_deadline", "-j": "job", "--job": "job",
             "--service": "service", "--start-url": "start_url",
             "--fail-url": "fail_url", "--method": "method",
             "--send-output": "send_output", "--metrics-file": "metrics_file",
             "-c": "config", "--config": "config"}
    names.update(SCHEDULE_OPTIONS)
    names.update({"--monitor": "monitor", "--header": "header"})
    cli, job, config, quiet = {}, None, None, None
    i = 0
    while i < len(words):
        w = words[i]
        if "=" in w and w.startswith("--"):
            w, value = w.split("=", 1)
        elif w in names or w in JOB_CONTROL:
            i += 1
            value = words[i]
        i += 1
        if w in JOB_CONTROL:
            v = JOB_CONTROL[w](value)
            if v is None:
                return None
            cli[w] = v
        elif w in ("-q", "--quiet", "-v", "--verbose"):
            quiet = w in ("-q", "--quiet")
        elif w == "--allow-http":
            pass
        elif w == "--output-on-failure":
            cli["output_on_failure"] = True
        elif w not in names:
            return None
        elif names[w] == "job":
            if value.strip(" \t") == "":
                return None  # no section is named by nothing
            job = value
        elif names[w] == "config":
            config = value
        elif names[w] == "header":
            cli.setdefault("header", []).append(value)
        elif names[w] in NUMBERS:
            v = NUMBERS[names[w]](value)
            if v is None:
                return None
            cli[names[w]] = v
        else:
            cli[names[w]] = value
    return cli, job, config, quiet


def find_config(case, config):
    """(path, global, sections), or 'blocked', or None (no file)."""
    env = case["env"].get("HBRUN_CONFIG") or None
    path = rel(config if config is not None else env or "@/" + XDG_CONF)
    spec = lookup(case["files"], path)
    if spec is None and config is None and env is None:
        return None
    data = usable_file(spec)
    parsed = read_ini(data) if data is not None else None
    return "blocked" if parsed is None else (path,) + parsed


def token_of(level, folder, files):
    """The token a level's credential gives, or None (unusable)."""
    if "token" in level:
        token = level["token"]
        if token is not LONG:  # white space around a credential goes
            token = token.strip(" \t\n\r\v\f")
    else:
        tf = level["token_file"]
        if tf is LONG or tf == "":
            return None
        data = usable_file(lookup(files, rel(tf, folder)))
        if data is None:
            return None
        if data.startswith(BOM):
            data = data[len(BOM):]
        token = data.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
        token = token.strip(" \t\r\v\f")
    if token is LONG or token in ("", ".", ".."):
        return None
    return token


FIELDS = ("token", "run_id", "exit_status", "duration_ms", "message")
# Placeholders in an expected path for what only the run knows; check()
# reads them off the request.
RUN_ID = "{run_id}"
DURATION = "{duration_ms}"
TEMPLATE_KEYS = {"start": "start_url", "success": "ping_url", "fail": "fail_url"}

# The monitor, the machine's name and what the job cost (the sentry and
# cronitor presets take them too): {duration_s} and the two costs are
# placeholders, read off the request by path_match().
FIELDS += ("monitor", "hostname", "duration_s", "max_rss_kb", "cpu_ms")
DURATION_S = "{duration_s}"
COST = "{cost}"
HOSTNAME = urllib.parse.quote(os.uname().nodename, safe="")
PLACEHOLDERS = {RUN_ID: None, DURATION: "[0-9]+", DURATION_S: r"[0-9]+\.[0-9]{3}",
                COST: "[0-9]+"}


def fill(template, values):
    """TEMPLATE with each field replaced by its VALUES (escaped text or a
    placeholder) and '{{' by '{'; None when it holds any other '{' or a
    field whose value is None (no usable token)."""
    out, i = [], 0
    while i < len(template):
        m = re.match(r"\{(%s)\}" % "|".join(FIELDS), template[i:])
        if template.startswith("{{", i):
            out.append("{")
            i += 2
        elif template[i] != "{":
            out.append(template[i])
            i += 1
        elif m and values[m.group(1)] is not None:
            out.append(values[m.group(1)])
            i += m.end()
        else:
            return None
    return "".join(out)


def field_values(token, status, message, start=False):
    """The fields of a request, escaped; a start request has no status
    and no duration."""
    q = lambda v: urllib.parse.quote(str(v), safe="")
    return {"token": None if token is None else q(token), "run_id": RUN_ID,
            "exit_status": "" if start else str(status),
            "duration_ms": "" if start else DURATION,
            "message": q("started" if start else message)}


_field_values = field_values


def field_values(token, status, message, start=False, monitor=None, ran=True):
    """field_values() with the monitor (None: none usable), the host name
    and the cost, empty in a start request and for a command that never
    ran."""
    v = _field_values(token, status, message, start)
    v.update(monitor=None if monitor is None else urllib.parse.quote(monitor, safe=""),
             hostname=HOSTNAME, duration_s="" if start else DURATION_S,
             max_rss_kb="" if start or not ran else COST,
             cpu_ms="" if start or not ran else COST)
    return v


def template_target(url, values):
    """(port, path) that the template URL makes, or None when it is
    unusable (empty, too long, an unknown field, no token for {token}, a
    fragment or user info once filled)."""
    if url is LONG or url == "":
        return None
    filled = fill(url, values)
    if filled is None:
        return None
    s = urllib.parse.urlsplit(filled)
    if "#" in filled or "@" in s.netloc:
        return None
    return s.port, s.path + ("?" + s.query if s.query else "")


# The presets the generated cases use (service.c, hbrun(1)); each base is
# given with --api-url.
PRESETS = {
    "tickstem": {"success": "/heartbeats/{token}/ping", "method": "POST"},
    "healthchecks": {"start": "/{token}/start?rid={run_id}", "success": "/{token}?rid={run_id}",
                     "fail": "/{token}/{exit_status}?rid={run_id}", "method": "POST"},
    "betterstack": {"success": "/{token}", "fail": "/{token}/{exit_status}", "method": "POST"},
    "uptime-kuma": {"success": "/api/push/{token}?status=up&msg=OK&ping={duration_ms}",
                    "fail": "/api/push/{token}?status=down&msg={message}&ping={duration_ms}",
                    "method": "GET"},
    "deadmanssnitch": {"success": "/{token}?s=0", "fail": "/{token}?s={exit_status}&m={message}",
                       "method": "POST"},
}


def ending_fields(case, cli):
    """({exit_status}, {message}) of a run that did not succeed."""
    job = case["job"]
    kind = job["kind"]
    if kind == "hang":
        return 124, "timed out after %g s" % float(cli["--timeout"])
    if kind in ("stop", "stop_trap"):
        return 143, "stopped by signal 15 (TERM)"
    if kind == "signal":
        sig = job["sig"]
        return 128 + sig, "killed by signal %d (%s)" % (sig, signal.Signals(sig).name[3:])
    if kind == "missing":
        return 127, "command not found"
    return job["code"], "exit status %d" % job["code"]


def preset_target(base, path, values):
    """(port, path) of a preset's request under BASE, or None."""
    if base is LONG or base == "":
        return None
    s = urllib.parse.urlsplit(base)
    if "#" in base or "@" in s.netloc or "?" in base:
        return None
    full = fill(path, values)
    return None if full is None else (s.port, s.path.rstrip("/") + full)


def first(levels, key):
    """The value of the highest level that sets KEY, or None."""
    return next((l[key] for l in levels if key in l), None)


def request_of(levels, event, preset, base, values):
    """The request of EVENT: the template of the highest level that sets
    one (unusable: none, never a lower level's), else the preset's under
    BASE (None: the default API); (port, path), 'default' or None."""
    template = first(levels, TEMPLATE_KEYS[event])
    if template is not None:
        return template_target(template, values)
    if event not in preset:
        return None
    if base is not None:
        return preset_target(base, preset[event], values)
    assert preset is PRESETS["tickstem"], "only tickstem's default API is caught"
    return "default" if values["token"] is not None else None


def expect(case):
    """What must happen in CASE: a dict with rc, runs (the job's); request,
    the end request (its event 'success' or 'fail'), and start: each
    (port, path) -- the path with RUN_ID and DURATION where the run fills
    them --, 'default' or None; method; body (the send_output limit, or
    None: no body); quiet and deadline."""
    out = {"request": None, "start": None, "event": None, "method": None, "body": None,
           "capture": False, "quiet": False, "deadline": 60.0}
    parsed = parse_cli(case["opts"])
    if parsed is None:
        return dict(out, rc=125, runs=0, why="usage error")
    cli, job, config, quiet = parsed
    kind = case["job"]["kind"]
    rc = {"exit": case["job"].get("code", 0), "signal": -case["job"].get("sig", 0),
          "stop": -signal.SIGTERM, "stop_trap": 0, "missing": 127,
          "hang": -signal.SIGTERM}[kind]
    if kind == "hang" and "--timeout" in cli:
        rc = 124  # the job ran past its time limit
    out.update(rc=rc, runs=0 if kind == "missing" else 1)
    env = {}
    if case["env"].get("HBRUN_TOKEN"):
        env["token"] = case["env"]["HBRUN_TOKEN"]
    if case["env"].get("HBRUN_API_URL"):
        env["api_url"] = case["env"]["HBRUN_API_URL"]
    found = find_config(case, config)
    glob, section, folder = {}, {}, ""
    if found == "blocked":
        out["why"] = "config file unusable: no request at all"
    elif found is not None:
        folder = os.path.dirname(found[0])
        glob, section = found[1], found[2].get(job, {}) if job is not None else {}
    levels = [cli, env, section, glob]
    out["silent"] = held_silent(case, levels, rc)
    out["deadline"] = first(levels, "ping_deadline") or 60.0
    file_quiet = next((l["quiet"] for l in levels[2:] if "quiet" in l), False)
    out["quiet"] = quiet if quiet is not None else file_quiet
    if case.get("held"):
        # Held by another run: the job never starts, nothing is sent.
        return dict(out, rc=75, runs=0, why="lock held")
    if found == "blocked":
        out["quiet"] = bool(quiet)
        return out
    out["job_name"] = job
    return expect_requests(case, cli, levels, folder, out)


def own_125(exp):
    """Whether hbrun itself ends with 125 (a usage error: the job never
    ran), not a job that exited 125."""
    return exp["rc"] == 125 and exp["runs"] == 0


def held_silent(case, levels, rc):
    """Whether output_on_failure holds back all of a job that succeeded."""
    if not first(levels, "output_on_failure"):
        return False
    job = case["job"]
    return job["kind"] == "exit" and (rc == 0 or rc in levels[0].get("--success-status", ()))


def expect_requests(case, cli, levels, folder, out):
    """The requests of a case whose settings are readable (expect())."""
    # api_url and the templates apply only with the service of their own
    # level or a higher one.
    at = next((i for i, l in enumerate(levels) if "service" in l), None)
    scoped = levels if at is None else levels[:at + 1]
    preset = PRESETS.get("tickstem" if at is None else levels[at]["service"].lower())
    if preset is None:
        out["why"] = "unknown service: set but unusable, no request"
        return out
    if not all(header_usable(h) for h in cli.get("header", [])):
        out["why"] = "a header unusable: no request at all"
        return out
    out["headers"] = [tuple(x.strip(" \t") for x in h.split(":", 1))
                      for h in cli.get("header", [])]
    service = "tickstem" if at is None else levels[at]["service"].lower()
    sentry = service == "sentry"
    method = first(levels, "method")
    if method is not None:
        method = None if method is LONG or method.upper() not in ("GET", "POST") \
            else method.upper()
        if method is None:
            out["why"] = "method unusable: no request at all"
            return out
    out["method"] = method = method or preset["method"]
    send = first(levels, "send_output") or 0
    out["capture"] = send > 0 and method == "POST" and not sentry
    out["no_body_warning"] = send > 0 and (method == "GET" or sentry)
    cred = next((l for l in levels if "token" in l or "token_file" in l), None)
    token = None
    if cred is not None:
        token = token_of(cred, folder if cred is not levels[0] else "", case["files"])
    elif sentry:  # no level gives one: Sentry's own variable, trimmed
        token = case["env"].get("SENTRY_DSN", "").strip(" \t\r\n\v\f") or None
    base = first(scoped, "api_url")
    monitor = monitor_of(cli, out["job_name"])
    preset, base = vendor_preset(cli, service, preset, base, token)
    out["start_json"] = sentry and method == "POST" and sentry_schedule(levels) and \
        first(scoped, "start_url") is None
    job, rc = case["job"], out["rc"]
    ok = job["kind"] == "exit" and (rc == 0 or rc in cli.get("--success-status", ()))
    status, message = (0, "OK") if ok else ending_fields(case, cli)
    assert ok or status != 0, "a fail request never says 0"
    out["event"] = "success" if ok else "fail"
    ran = job["kind"] != "missing"
    out["request"] = request_of(scoped, out["event"], preset, base,
                                field_values(token, status, message, monitor=monitor,
                                             ran=ran))
    if job["kind"] != "missing":  # a command that never ran never started
        out["start"] = request_of(scoped, "start", preset, base,
                                  field_values(token, 0, "", start=True, monitor=monitor))
    if out["request"] and out["capture"]:
        out["body"] = send
    out["why"] = ("%s request" % out["event"]) if out["request"] else \
        "no usable %s request" % out["event"]
    return out


# ---- sentry, cronitor, healthchecks slugs, monitor, header ------------------

PRESETS["cronitor"] = {
    "start": "/{token}/{monitor}?state=run&series={run_id}&host={hostname}",
    "success": "/{token}/{monitor}?state=complete&series={run_id}&status_code=0"
               "&duration={duration_s}&host={hostname}",
    "fail": "/{token}/{monitor}?state=fail&series={run_id}&status_code={exit_status}"
            "&duration={duration_s}&message={message}&host={hostname}",
    "method": "POST"}
# After the DSN's /api/PROJECT/cron/{monitor}/KEY/ (vendor_preset()).
PRESETS["sentry"] = {
    "start": "?status=in_progress&check_in_id={run_id}",
    "success": "?status=ok&check_in_id={run_id}&duration={duration_s}",
    "fail": "?status=error&check_in_id={run_id}&duration={duration_s}",
    "method": "POST"}
HC_MONITOR = {"start": "/{token}/{monitor}/start?create=1&rid={run_id}",
              "success": "/{token}/{monitor}?create=1&rid={run_id}",
              "fail": "/{token}/{monitor}/{exit_status}?create=1&rid={run_id}"}
TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def header_usable(h):
    """A header line hbrun sends: 'Name: value', the name of token
    characters, the value not blank and without a control character, and
    not one that frames the request."""
    name, colon, value = h.partition(":")
    if not name or not colon or not set(name) <= TCHAR:
        return False
    if name.lower() in ("content-length", "transfer-encoding", "content-type"):
        return False
    if any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value):
        return False
    return value.strip(" \t") != ""


def segment(text):
    """TEXT as one escaped path segment, or None ('', '.', '..')."""
    return None if text in ("", ".", "..") else urllib.parse.quote(text, safe="")


def monitor_of(cli, job):
    """The monitor: --monitor (unusable: None), else the -j NAME."""
    m = cli.get("monitor", job)
    return None if m is None or m in ("", ".", "..") else m


def literal(text):
    return text.replace("{", "{{")


def parse_dsn(dsn):
    """(base, key, project) of a Sentry DSN, or None."""
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/@]+)@([^/@]+)(/[^?#]*)", dsn or "")
    if m is None or any(c <= " " or c in "?#\\\x7f" for c in dsn):
        return None
    path = m.group(4).rstrip("/") if len(m.group(4)) > 1 else m.group(4)
    prefix, _, project = path.rpartition("/")
    key = m.group(2).split(":", 1)[0]
    if key in ("", ".", "..") or project in ("", ".", ".."):
        return None
    return m.group(1) + m.group(3) + prefix, key, project


def sentry_schedule(levels):
    """Whether the schedule of the highest level that sets one (the command
    line, or a file since it names services too) is one Sentry's start
    request carries: set, readable in its zone; a cron expression goes as
    it is, even one never due, a calendar event as its longest gap."""
    sched, tz = first(levels, "schedule"), first(levels, "tz")
    if not sched or tz == "":
        return False
    kinds, zones = dict(SCHEDULES), dict(ZONES)
    return kinds.get(sched, "ok") in ("ok", "never") and \
        (tz is None or zones.get(tz, "ok") == "ok")


def vendor_preset(cli, service, preset, base, token):
    """(preset, base) as SERVICE (the level's that chose it) and the token
    make them: sentry's paths under the DSN (or an api_url given with the
    service); healthchecks' KEY/SLUG tokens and slug URLs for a monitor set
    by name.  A preset {} sends nothing."""
    if service == "sentry":
        dsn = parse_dsn(token)
        if dsn is None:
            return {}, base
        root, key, project = dsn
        head = "/api/%s/cron/{monitor}/%s/" % (literal(segment(project)),
                                               literal(segment(key)))
        paths = {e: head + p for e, p in preset.items() if e != "method"}
        return dict(paths, method="POST"), base if base is not None else root
    if service != "healthchecks":
        return preset, base
    named = "monitor" in cli
    if named and cli["monitor"] == "":
        return {}, base  # set but unusable: no other URL stands in
    if token is not None and "/" in token:
        key, _, slug = token.partition("/")
        if named or segment(key) is None or segment(slug) is None or "/" in slug:
            return {}, base
        parts = literal(segment(key)) + "/" + literal(segment(slug))
        return {e: p.replace("{token}", parts) if e != "method" else p
                for e, p in preset.items()}, base
    return (dict(HC_MONITOR, method="POST") if named else preset), base


def check_start_json(r):
    """Sentry's start request with a schedule: a JSON body that says the
    check-in is in progress, with the monitor's configuration."""
    try:
        body = json.loads(r["body"])
        ok = r["ctype"] == "application/json" and body["status"] == "in_progress" and \
            UUID4.fullmatch(body["check_in_id"]) and \
            body["monitor_config"]["schedule"]["type"] in ("crontab", "interval")
    except (ValueError, KeyError, TypeError):
        ok = False
    return [] if ok else [("body", "%s: expected Sentry's monitor configuration, got %r"
                           % (shown_request(r), r["body"][:200]))]


def check_headers(exp, fake):
    """Each request carries the headers given, as given, each once."""
    bad = []
    for r, _, _ in fake:
        got = [(n, v.strip(" \t")) for n, v in r.get("headers", [])
               if n.lower() in {h[0].lower() for h in exp.get("headers", [])}]
        if sorted(got) != sorted(exp.get("headers", [])):
            bad.append(("headers", "%s carried %s, not %s"
                        % (shown_request(r), got, exp.get("headers"))))
    return bad



# ---- generating cases -------------------------------------------------------

class Gen:
    """Builds case number N from RNG; PORTS maps a server name to its port."""

    def __init__(self, rng, n, ports):
        self.r = rng
        self.n = n
        self.ports = ports
        self.files = {}
        self.tokens = []
        self.tags = set()
        self.server = "ok"
        self.no_unusable_api = False
        self.count = 0
        self.held = None
        self.job_names = []  # sections of odd_sections(), for -j
        self.serviced = []  # sections that name a service

    def p(self, x):
        return self.r.random() < x

    def pick(self, weighted):
        items, weights = zip(*weighted)
        return self.r.choices(items, weights)[0]

    def token(self, odd=False):
        t = "".join((UPPER if i % 2 == 0 else LOWER)[self.r.randrange(20)]
                    for i in range(32))
        if odd:
            t = t[:16] + self.r.choice(ODD) + t[16:]
            self.tags.add("odd-token")
        self.tokens.append(t)
        return t

    def url(self, level, event=None):
        """LEVEL's API base, or its template of EVENT (p: the success
        request, s: start, f: fail) with some of the fields."""
        port = self.ports[self.server]
        base = "http://127.0.0.1:%d/c%d/%s" % (port, self.n, level)
        if event is None:
            return base + "/v1"
        url = base + "/" + event + "/{token}"
        if self.p(0.15):
            url += "/{run_id}"
        if self.p(0.04):
            self.tags.add("template-brace")
            url += self.r.choice(("/{{x}", "/a}b"))  # a literal brace
        # A fail request's status and message are what it says: likelier.
        chances = {"p": (0.3, 0.3, 0.3, 0.3), "s": (0.4, 0.4, 0.4, 0.5),
                   "f": (0.4, 0.7, 0.4, 0.6)}[event]
        query = ["%s={%s}" % (f[0], f) for f, chance in
                 zip(("run_id", "exit_status", "duration_ms", "message"), chances)
                 if self.p(chance)]
        if self.p(0.3):
            query.append("x=1")
        self.r.shuffle(query)
        return url + ("?" + "&".join(query) if query else "")

    def name(self, stem):
        self.count += 1
        return "%s%d" % (stem, self.count)

    # -- values --

    def token_value(self, where, level):
        v = self.pick([("good", 70), ("odd", 10), ("empty", 8), ("dot", 5),
                       ("quoted", 4 if where == "file" else 0),
                       ("comment", 3 if where == "file" else 0),
                       ("long", 3 if where == "file" else 0),
                       ("quoted_empty", 1 if where == "file" else 0)])
        self.tags.add("%s-token-%s" % (level, v))
        if v == "good":
            return self.token()
        if v == "odd":
            return self.token(odd=True)
        if v == "empty":
            return ""
        if v == "dot":
            return self.r.choice((".", ".."))
        if v == "quoted":
            return '"%s"' % self.token()
        if v == "comment":
            return "%s ;%s" % (self.token(), self.r.choice(("old one", "x")))
        if v == "long":
            return self.token() + "x" * 300
        return '""'

    def api_value(self, where, level):
        v = self.pick([("good", 75)] + ([] if self.no_unusable_api else
                      [("empty", 6), ("query", 3), ("frag", 3), ("userinfo", 3),
                       ("long", 2 if where == "file" else 0)])
                      + [("quoted", 4 if where == "file" else 0),
                         ("comment", 3 if where == "file" else 0)])
        self.tags.add("%s-api-%s" % (level, v))
        url = self.url(level)
        return {"good": url, "empty": "", "query": url + "?a=1", "frag": url + "#f",
                "userinfo": url.replace("http://", "http://u:p@"),
                "long": url + "/" + "y" * 300, "quoted": '"%s"' % url,
                "comment": url + " ;the old one"}[v]

    def template_value(self, where, level, key):
        """A value of KEY (ping_url, start_url, fail_url) at LEVEL."""
        v = self.pick([("good", 76), ("empty", 7), ("frag", 4), ("userinfo", 3),
                       ("unknown", 5), ("long", 3 if where == "file" else 0),
                       ("quoted", 3 if where == "file" else 0)])
        self.tags.add("%s-%s-%s" % (level, key, v))
        url = self.url(level, {"ping_url": "p", "start_url": "s", "fail_url": "f"}[key])
        unknown = self.r.choice(("/{status}", "/{Token}", "/{", "/{run-id}", "/{ token}"))
        return {"good": url, "empty": "", "frag": url + "#f",
                "userinfo": url.replace("http://", "http://u:p@"),
                "unknown": url + unknown if "?" not in url else url.replace("?", unknown + "?"),
                "long": url + "/" + "y" * 300, "quoted": '"%s"' % url}[v]

    def method_value(self, where, level):
        v = self.pick([("GET", 30), ("POST", 25), ("lower", 15), ("empty", 8),
                       ("unknown", 10), ("quoted", 5 if where == "file" else 0),
                       ("comment", 5 if where == "file" else 0),
                       ("long", 3 if where == "file" else 0)])
        self.tags.add("%s-method-%s" % (level, v))
        return {"GET": "GET", "POST": "POST", "empty": "",
                "lower": self.r.choice(("get", "post", "Get", "pOST")),
                "unknown": self.r.choice(("PUT", "HEAD", "GETS", "post get")),
                "quoted": self.r.choice(('"GET"', '"post"')), "comment": "GET ;was POST",
                "long": "GET" + "T" * 300}[v]

    def send_output(self, level):
        if self.p(0.04):
            self.tags.add("%s-send-output-bad" % level)
            return self.r.choice(("", "-1", "1048577", "x", "1.5", "2k"))
        return self.r.choice(SEND_OUTPUT)

    def mode_owner(self, what):
        v = self.pick([("0600", 75), ("0644", 6), ("0640", 4), ("0620", 4), ("0602", 3),
                       ("0666", 3), ("foreign", 5 if ROOT else 0)])
        if v != "0600":
            self.tags.add("%s-mode-%s" % (what, v))
        if v == "foreign":
            return 0o600, OTHER_UID
        return int(v, 8), 0

    def special(self, what, path, make_regular, named=True):
        """Put at PATH a regular file (MAKE_REGULAR() gives its spec) or a
        special one; return the path to give hbrun (it may be /dev/null)."""
        v = self.pick([("file", 80), ("symlink", 5), ("fifo", 5), ("dir", 3),
                       ("devnull", 2 if named else 0), ("missing", 3 if named else 0),
                       ("dangling", 2 if named else 0)])
        if v != "file":
            self.tags.add("%s-%s" % (what, v))
        if v == "devnull":
            return "/dev/null"
        if v == "file":
            self.files[path] = make_regular()
        elif v == "symlink":
            target = os.path.join(os.path.dirname(path), self.name("target"))
            self.files[target] = make_regular()
            self.files[path] = {"kind": "symlink", "target": os.path.basename(target)}
        elif v == "dangling":
            self.files[path] = {"kind": "symlink", "target": self.name("gone")}
        elif v in ("fifo", "dir"):
            self.files[path] = {"kind": v}
        return "@/" + path

    def token_file(self, folder, relative, cli=False):
        """A token file in FOLDER; the path to give: absolute ('@/'), or
        relative to FOLDER (a config file's folder) or to the sandbox (CLI)."""
        path = os.path.join(folder, self.name("tok"))
        tok = self.token(odd=self.p(0.1))
        content = self.pick([("plain", 50), ("bom", 6), ("crlf", 6), ("spaces", 6),
                             ("nonl", 5), ("two", 5), ("emptyfirst", 5), ("nul", 5),
                             ("empty", 3), ("dot", 3), ("blank", 3)])
        self.tags.add("tokenfile-" + content)
        data = {"plain": tok + "\n", "bom": "\ufeff" + tok + "\n", "crlf": tok + "\r\n",
                "spaces": "  " + tok + " \t \n", "nonl": tok, "two": tok + "\nsecond\n",
                "emptyfirst": "\n" + tok + "\n", "nul": tok[:8] + "\0" + tok[8:] + "\n",
                "empty": "", "dot": self.r.choice((".", "..")) + "\n",
                "blank": "   \n" + tok + "\n"}[content].encode("utf-8")

        def regular():
            mode, owner = self.mode_owner("tokenfile")
            return {"kind": "file", "data": data, "mode": mode, "owner": owner}

        given = self.special("tokenfile", path, regular)
        if relative and given.startswith("@/"):
            return given[2:] if cli else os.path.relpath(given[2:], folder)
        return given

    # -- the command line, the environment, the files --

    def cli(self, conf_name):
        o = []  # one list of words per option

        def opt(name, value):
            if name.startswith("--") and self.p(0.2):
                o.append(["%s=%s" % (name, value)])
            else:
                o.append([name, value])

        if self.p(0.35):
            opt(self.r.choice(("-t", "--token")), self.token_value("cli", "cli"))
        if self.p(0.15):
            if self.p(0.1):
                self.tags.add("cli-tokenfile-empty")
                opt("--token-file", "")
            else:
                opt("--token-file", self.token_file("tf", self.p(0.3), cli=True))
        if self.p(0.35):
            opt("--api-url", self.api_value("cli", "cli"))
        if self.p(0.1):
            opt("--method", self.method_value("cli", "cli"))
        if self.p(0.15):
            opt("--send-output", self.send_output("cli"))
        if self.p(0.5):
            opt(self.r.choice(("-j", "--job")), self.r.choice(SECTIONS + tuple(self.job_names)))
        if conf_name is not None:
            opt(self.r.choice(("-c", "--config")), conf_name)
        for name, good, bad, p in (
                ("--ping-deadline", ("1.5", "2", "2.5", "3"),
                 ("", "soon", "-1", "0", "2x"), 0.8),
                ("--ping-retries", ("0", "1", "2", "3"), ("", "-1", "1.5", "x"), 0.3),
                ("--ping-timeout", ("0.5", "1", "2"), ("", "0", "-2", "t"), 0.2)):
            if self.p(p):
                bad_one = self.p(0.02)
                if bad_one:
                    self.tags.add("cli-bad-number")
                opt(name, self.r.choice(bad if bad_one else good))
        o += self.schedule_options()
        for flag, p in (("-q", 0.1), ("-v", 0.1), ("--allow-http", 0.05),
                        ("--output-on-failure", 0.15)):
            if self.p(p):
                o.insert(self.r.randrange(len(o) + 1), [flag])
        if self.p(0.005):
            self.tags.add("cli-unknown-option")
            o.append(["--bogus"])
        return [w for words in o for w in words]

    def templates(self):
        """Whether this case has templates (ping_url, start_url, fail_url)
        anywhere (decided first: then every api_url is usable)."""
        self.with_templates = self.p(0.3)
        self.no_unusable_api = self.with_templates

    def settings_lines(self, level, folder, p):
        lines = []
        if self.p(p["token"]):
            lines.append(("token", self.token_value("file", level)))
        if self.p(p["token_file"]):
            lines.append(("token_file", self.token_file(folder, self.p(0.5))))
        if self.p(p["api_url"]):
            lines.append(("api_url", self.api_value("file", level)))
        for key in ("ping_url", "start_url", "fail_url"):
            if self.with_templates and self.p(p["template"]):
                lines.append((key, self.template_value("file", level, key)))
        if self.p(p["method"]):
            lines.append(("method", self.method_value("file", level)))
        for key, good, bad in (("ping_deadline", ("2", "2.5"), ("soon", "-3", "0")),
                               ("ping_retries", ("1", "2"), ("many", "-1")),
                               ("ping_timeout", ("1", "1.5"), ("x",)),
                               ("quiet", ("true", "no", "ON", "0"), ("maybe",)),
                               ("allow_http", ("yes", "off"), ("perhaps",)),
                               ("send_output", SEND_OUTPUT, ("lots", "-5", "1048577", "1k")),
                               ("output_on_failure", ("true", "no", "On", "0"), ("often",))):
            if self.p(p["number"]):
                if self.p(0.15):
                    self.tags.add("file-bad-" + key)
                    value = self.r.choice(bad)
                elif self.p(0.05):
                    self.tags.add("file-long-" + key)
                    value = "0" * 300 + good[0]
                else:
                    value = self.r.choice(good)
                lines.append((key, value))
        lines += self.schedule_lines(level)
        lines += self.round3_file_lines(folder)
        out = []
        for key, value in lines:
            sep = self.r.choice((" = ", "=", "  =  "))
            text = key + sep + value
            if self.p(0.08):
                text = self.r.choice(("    ", "\t", "  ")) + text
                self.tags.add("indented")
            out.append(text)
        for _ in range(self.r.choice((0, 0, 1, 2))):
            noise = self.pick([("; a comment", 3), ("# a comment", 3), ("", 3),
                               ("this line is not valid", 2), ("colour = blue", 2),
                               ("api_key = " + self.token(), 1)])
            if noise.startswith("this"):
                self.tags.add("syntax-error")
            elif noise.startswith("colour"):
                self.tags.add("unknown-key")
            out.insert(self.r.randrange(len(out) + 1), noise)
        return out

    # -- the third round: headers of every length and shape, services in
    # the file beside templates of other levels, tokens ending in a newline

    def odd_name(self, i):
        """A section name: of every length, up to several KiB, or one of a
        pair that shares a 49-character prefix (a parser that cuts names
        there reads both as the prefix)."""
        v = self.pick([("length", 6), ("prefix", 3), ("spaced", 1)])
        first = "qrstuvw"[i]
        if v == "length":
            n = self.r.choice((1, 48, 49, 50, 51, 199, 200, 201, 1000, 4000, 8000))
            self.tags.add("header-length-%s" % ("short" if n < 49 else
                                                 "49-51" if n < 52 else
                                                 "~200" if n < 1000 else "KiB"))
            return first + "n" * (n - 1)
        if v == "prefix":
            self.tags.add("header-prefix49")
            prefix = "p" * self.r.choice((48, 49, 50))
            if prefix not in self.job_names:
                self.job_names.append(prefix)  # -j prefix finds no section
            return prefix + first
        self.tags.add("header-inner-space")
        return first + " name"

    def header_shape(self, name):
        """A header line for NAME: a good one (white space, a comment after
        ']' of any length) or a broken one (';' or '#' inside, empty,
        nested, unbalanced, text after ']')."""
        comment = self.r.choice(("x", "nightly ; at 3", "c" * self.r.choice((150, 250, 6000))))
        shape = self.pick([
            ("[%s]", 4), ("[ %s ]", 2), ("\t[%s]  ", 1), ("[%s] ; {c}", 4), ("[%s];{c}", 2),
            ("[%s] # {c}", 2), ("[%s]#{c}", 1), ("[%s] ; x ] y", 1),
            ("[%s ;{c}]", 3), ("[%s#{c}]", 2), ("[%s", 2), ("[%s]x", 2), ("[%s]%s]", 2),
            ("[[%s]]", 2), ("[%s[x]", 1), ("[]", 1), ("[ ]", 1), ("[%s] x ;{c}", 1)])
        line = shape.replace("%s", name).replace("{c}", comment)
        good = header_name(line.strip(" \t")) == name
        self.tags.add("header-shape-%s%s" % ("good" if good else "broken",
                                             "-comment" if "{c}" in shape else ""))
        return line, good

    def odd_sections(self, folder):
        """Sections under odd headers, each with the keys of a section;
        their names go to the -j choices."""
        lines = []
        if not self.p(0.35):
            return lines
        for i in range(self.r.randrange(1, 4)):
            name = self.odd_name(i)
            self.job_names.append(name)
            line, good = self.header_shape(name)
            level = ("s-" if good else "broken-") + "x%d" % i
            lines.append(line)
            lines += self.service_lines(level)
            lines += self.settings_lines(level, folder, {
                "token": 0.7, "token_file": 0.1, "api_url": 0.3, "template": 0.3,
                "method": 0.05, "number": 0.1})
        return lines

    def service_lines(self, level):
        """A service for LEVEL of the file, with its base (api_url) beside
        it: templates and an api_url of a lower level must not apply."""
        if not self.p(0.12 if level == "global" else 0.2):
            return []
        svc = self.pick([(name, 10) for name in PRESETS] + [("healthcheks", 2), ("", 1)])
        self.tags.add("file-service-" + (svc or "empty"))
        if level != "global":
            self.serviced.append(level)
        if self.p(0.1):
            svc = svc.upper()
        return ["service = " + svc, "api_url = " + self.url(level)]

    def templates_below_services(self):
        """Global templates where a section names its own service: they
        must not take that section's token to their server."""
        if not (self.serviced and self.with_templates and self.p(0.7)):
            return []
        self.tags.add("templates-below-service")
        keys = [k for k in ("ping_url", "start_url", "fail_url") if self.p(0.6)] or ["ping_url"]
        return ["%s = %s" % (k, self.template_value("file", "global", k)) for k in keys]

    def token_newlines(self, opts, env):
        """A token on the command line or in HBRUN_TOKEN ending in a
        newline or other white space, as a Kubernetes secret made from a
        file does."""
        end = self.r.choice(("\n", "\r\n", " \t", "\n\n"))
        if self.p(0.15) and "HBRUN_TOKEN" in env:
            self.tags.add("token-newline-env")
            env["HBRUN_TOKEN"] += end
        for i, w in enumerate(opts):
            if self.p(0.3) and (w.startswith("--token=") or
                                (w in ("-t", "--token") and i + 1 < len(opts))):
                self.tags.add("token-newline-cli")
                if w.startswith("--token="):
                    opts[i] += end
                else:
                    opts[i + 1] += end

    def config_text(self, folder):
        lines = self.settings_lines("global", folder, {
            "token": 0.35, "token_file": 0.1, "api_url": 0.6, "template": 0.3, "method": 0.1,
            "number": 0.15})
        lines[:0] = self.service_lines("global")
        for name in SECTIONS:
            if not self.p(0.55):
                continue
            header = self.pick([("good", 80), ("spaced", 8), ("broken", 12)])
            if header != "good":
                self.tags.add("header-" + header)
            lines.append({"good": "[%s]", "spaced": "[ %s ]", "broken": "[%s"}[header] % name)
            level = ("broken-" if header == "broken" else "s-") + name
            lines += self.service_lines(level)
            lines += self.settings_lines(level, folder, {
                "token": 0.6, "token_file": 0.12, "api_url": 0.3, "template": 0.3,
                "method": 0.08, "number": 0.1})
        lines += self.odd_sections(folder)
        lines[:0] = self.templates_below_services()
        eol = "\n"
        if self.p(0.05):
            eol = "\r\n"
            self.tags.add("config-crlf")
        text = eol.join(lines) + eol
        if self.p(0.04):
            self.tags.add("config-bom")
            text = "\ufeff" + text
        data = text.encode("utf-8")
        if self.p(0.03):
            self.tags.add("config-nul")
            i = self.r.randrange(len(data) + 1)
            data = data[:i] + b"\0" + data[i:]
        return data

    def config_file(self, path, named):
        folder = os.path.dirname(path)
        data = self.config_text(folder)

        def regular():
            mode, owner = self.mode_owner("config")
            return {"kind": "file", "data": data, "mode": mode, "owner": owner}

        return self.special("config", path, regular, named=named)

    def decoy(self, path):
        """A good config file that must not be read (a named one wins)."""
        base = "http://127.0.0.1:%d/c%d/decoy" % (self.ports["ok"], self.n)
        text = "token = %s\napi_url = %s/v1\n" % (self.token(), base)
        # (A service case names no file: then this one is read, and its
        # templates would stand in for the preset's every time.)
        if self.p(0.5):
            text += "start_url = %s/s/{token}\nfail_url = %s/f/{token}\n" % (base, base)
        text += "[backup]\ntoken = %s\n" % self.token()
        self.files[path] = {"kind": "file", "data": text.encode(), "mode": 0o600, "owner": 0}

    def service_opts(self):
        """A preset, its base and a token, all on the command line."""
        svc = self.pick([("betterstack", 20), ("deadmanssnitch", 20), ("tickstem", 12),
                         ("healthchecks", 20), ("uptime-kuma", 20), ("healthcheks", 8)])
        self.tags.add("service-" + svc)
        o = ["--service", self.r.choice((svc, svc.upper())) if self.p(0.1) else svc,
             "--api-url", self.url("svc") + ("/" if self.p(0.1) else ""),
             "-t", self.pick([(self.token(), 85), (self.token(True), 10), ("", 5)]),
             "--ping-deadline", "2"]
        if self.p(0.2):
            o.insert(0, "-q")
        if self.p(0.2):
            o += ["--method", self.method_value("cli", "cli")]
        if self.p(0.25):
            o += ["--send-output", self.send_output("cli")]
        for key in ("start_url", "fail_url"):
            if self.p(0.1):
                o += ["--" + key.replace("_", "-"), self.template_value("cli", "cli", key)]
        return o

    # -- sentry, cronitor, healthchecks slugs, monitor, header, cost --

    def vendor_token(self, svc, port):
        """SVC's token: a DSN (its key the credential) for sentry, a key,
        a KEY/SLUG or a broken one for healthchecks; some unusable."""
        base = "127.0.0.1:%d/c%d/svc" % (port, self.n)
        if svc == "sentry":
            key, project = self.token(), self.r.choice(("42", "7", "a b"))
            return self.pick([("http://%s@%s/%s" % (key, base, project), 60),
                              ("http://%s:old@%s/%s/" % (key, base, project), 8),
                              ("http://%s/%s" % (base, project), 6),
                              ("http://%s@%s/" % (key, base), 5),
                              ("http://..@%s/42" % base, 3), ("", 5),
                              ("https://%s@sentry.invalid/%s" % (key, project), 13)])
        if svc == "healthchecks" and self.p(0.4):
            self.tags.add("hc-slug")
            slug = self.r.choice(("db-backup", "a b", "..", "", "x/y"))
            return "%s/%s" % (self.token(), slug)
        return self.pick([(self.token(), 80), (self.token(True), 12), ("", 8)])

    def header_value(self):
        good = [("X-Auth: " + self.token(), 40), ("X-Team:ops", 10),
                ("Authorization: Basic " + self.token(), 10)]
        bad = [("NoColon", 3), ("Bad Name: v", 3), ("X-A:", 3), ("X-A:  ", 2),
               ("X-A: a\r\nX-B: b", 3), ("X-A: a\x01", 2), ("Content-Length: 1", 2),
               (": v", 2), ("", 3), ("X(A): v", 2), ("content-type: text/html", 2)]
        h = self.pick(good + bad)
        if not header_usable(h):
            self.tags.add("header-unusable")
        return h

    def cost_url(self, event):
        """A template of EVENT with some of the new fields."""
        url = self.url("cli", event)
        fields = [f for f in ("monitor", "hostname", "duration_s", "max_rss_kb", "cpu_ms")
                  if self.p(0.5)]
        if not fields:
            return url
        query = "&".join("%s={%s}" % (f[:3], f) for f in fields)
        return url + ("&" if "?" in url else "?") + query

    def sentry_dsn_env(self, opts, env):
        """SENTRY_DSN: sentry's token where no level gives one; ignored
        where one does, and by every other service.  A sentry case's DSN
        often moves there from its -t."""
        self.tags.add("env-sentry-dsn")
        svc = opts[opts.index("--service") + 1] if "--service" in opts else None
        if svc == "sentry" and "-t" in opts and self.p(0.7):
            at = opts.index("-t")
            dsn = opts[at + 1]
            del opts[at:at + 2]
            self.tags.add("env-sentry-dsn-moved")
        else:
            dsn = "http://%s@127.0.0.1:%d/c%d/env/9" % (self.token(), self.ports[self.server],
                                                         self.n)
        env["SENTRY_DSN"] = self.pick([(dsn, 70), (" %s\n" % dsn, 15), ("", 10), (" ", 5)])

    def vendor_opts(self):
        """A case of the new presets, monitor, headers and fields, all on
        the command line."""
        svc = self.pick([("sentry", 35), ("cronitor", 30), ("healthchecks", 25),
                         ("tickstem", 10)])
        self.tags.add("vendor-" + svc)
        port = self.ports[self.server]
        o = ["--service", svc, "-t", self.vendor_token(svc, port), "--ping-deadline", "2"]
        base = "http://127.0.0.1:%d/c%d/svc" % (port, self.n)
        if svc in ("cronitor", "healthchecks") or ("sentry.invalid" in o[3]):
            o += ["--api-url", base + {"cronitor": "/p", "healthchecks": "/ping"}.get(svc, "")]
        if svc == "sentry" and self.p(0.5):
            self.tags.add("sentry-schedule")
            o += ["--schedule", self.r.choice(("0 3 * * *", "@hourly", "Mon *-*-* 04:00")),
                  "--tz", "UTC"]
        if self.p(0.6):
            o += ["--monitor", self.pick([("nightly", 50), ("a b/c", 15), ("", 10),
                                           ("..", 5), ("job.%d" % self.n, 20)])]
        if self.p(0.5):
            o += ["-j", self.r.choice(SECTIONS)]
        for _ in range(self.pick([(0, 45), (1, 35), (2, 20)])):
            o += ["--header", self.header_value()]
        for opt, event in (("--start-url", "s"), ("--ping-url", "p"), ("--fail-url", "f")):
            if self.p(0.15):
                self.tags.add("cost-template")
                o += [opt, self.cost_url(event)]
        if self.p(0.2):
            o += ["--send-output", self.send_output("cli")]
        if self.p(0.08):
            o += ["--method", "GET"]
        if self.p(0.15):
            o.insert(0, "-q")
        return o

    def job_control(self, job):
        """Job-control options for JOB; a hanging job gets a timeout."""
        o = []
        if job["kind"] == "hang":
            o += ["--timeout", self.r.choice(("0.2", "0.5")), "--kill-after", "1"]
        elif self.p(0.05):
            o += ["--timeout", self.r.choice(("30", "60.5", "2678400"))]
        if job["kind"] == "exit" and job["code"] and self.p(0.4):
            codes = [job["code"]] if self.p(0.5) else []
            codes += [self.r.randrange(1, 256) for _ in range(self.r.randrange(3))]
            if codes:
                self.tags.add("success-status")
                o += ["--success-status", ",".join(map(str, codes))]
        if self.p(0.02):
            # held by another run (the test) while hbrun runs: exit 75
            self.tags.add("lock-held")
            self.held = "@/" + self.name("held")
            o += ["--lock", self.held]
        elif self.p(0.05):
            o += ["--lock", "@/" + self.name("lock")]
        if self.p(0.03):
            o += ["--random-delay", self.r.choice(("0", "0.1"))]
        if self.p(0.02):
            self.tags.add("job-control-bad")
            o += self.r.choice((["--timeout", "0"], ["--timeout", "2678401"],
                                ["--kill-after", "86401"], ["--lock", ""],
                                ["--lock", "@/"], ["--success-status", ""],
                                ["--success-status", "0"], ["--success-status", "256"],
                                ["--success-status", "1,,2"], ["--random-delay", "-1"]))
        o += self.seconds_spelling()
        return o

    def metrics_file(self, opts, job):
        """--metrics-file (a quarter of the cases): a path in a folder of
        the sandbox, with what stands there before the run -- nothing, a
        file hbrun wrote for this job (its counters carried over), one
        that is corrupt, another user's, a FIFO, a folder -- or a folder
        that is missing or cannot be written, or an empty value.  None of
        it may change the job's status or the requests."""
        self.metrics = None
        if not self.p(0.25):
            return []
        kind = self.pick([("new", 30), ("previous", 20), ("corrupt", 10), ("fifo", 8),
                          ("dir", 6), ("foreign", 8 if ROOT else 0), ("writable", 6),
                          ("no-folder", 6), ("proc", 4), ("empty", 4)])
        self.tags.add("metrics-" + kind)
        self.metrics = {"kind": kind, "path": METRICS_PATH}
        if kind in ("new", "previous", "corrupt", "fifo", "dir", "foreign", "writable"):
            self.files["m"] = {"kind": "dir"}
        previous = {"kind": "file", "mode": 0o644, "owner": 0, "data": None}
        if kind == "corrupt":
            # Random bytes, less "@/": materialise() puts the sandbox's
            # path in its place, and this file must stay as written.
            previous["data"] = self.r.choice((b"", b"\0" * 64, b"hbrun_runs_total 1",
                                              bytes(self.r.randrange(256) for _ in range(300))
                                              .replace(b"@/", b"@")))
        elif kind in ("previous", "foreign", "writable"):
            name = metrics_job({"opts": opts, "job": job})
            previous["data"] = METRICS_PREVIOUS_TEXT.replace("@JOB@", name).encode()
            previous["owner"] = OTHER_UID if kind == "foreign" else 0
            previous["mode"] = 0o666 if kind == "writable" else 0o644
        elif kind in ("fifo", "dir"):
            previous = {"kind": kind}
        if kind in ("previous", "corrupt", "foreign", "writable", "fifo", "dir"):
            self.files[METRICS_PATH] = previous
        path = {"no-folder": "@/nofolder/job.prom", "proc": "/proc/hbrun-rules.prom",
                "empty": ""}.get(kind, "@/" + METRICS_PATH)
        return ["--metrics-file", path]
    # Seconds are digits and one point only (hbrun(1)): what strtod() reads
    # beyond that (hex, exponents, signs, white space) or a suffix is a
    # usage error on the command line, and ignored with a warning in a
    # file (the oracle's parse_seconds and parse_range say so).
    SECONDS_SPELLINGS = ("0x10", "0X1A", "1e2", "1E1", "2.5e0", "0x1p3", "+5", " 5", "5 ",
                         "1.2.3", ".", "1d", "10s", "inf", "nan", "-0", "1_0", "\u0661")

    def seconds_spelling(self):
        if not self.p(0.03):
            return []
        self.tags.add("seconds-spelling")
        return [self.r.choice(("--timeout", "--kill-after", "--random-delay",
                               "--ping-timeout", "--ping-deadline")),
                self.r.choice(self.SECONDS_SPELLINGS)]

    def trust_env(self):
        """SSL_CERT_FILE and SSL_CERT_DIR, as curl and Go read them: they
        name the system's trust for https, and change nothing of a
        loopback http run.  (A bundle SSL_CERT_FILE names that cannot be
        read fails an https request before it connects, as a bad cacert
        does: not generated, as the default API's runs must reach the
        catching proxy.)"""
        env = {}
        for var, values in (("SSL_CERT_FILE", ("", "/etc/ssl/certs/ca-certificates.crt")),
                            ("SSL_CERT_DIR", ("", "@/missing", "@/", "/nonexistent:@/"))):
            if self.p(0.04):
                self.tags.add("env-" + var.lower())
                env[var] = self.r.choice(values)
        return env

    def round3_file_lines(self, folder):
        """Lines of a config file that change no request of a loopback
        http run: a cacert relative to the file's folder (there or not),
        and seconds spelt as strtod() reads them (ignored, warned)."""
        lines = []
        if self.p(0.05):
            self.tags.add("file-cacert-relative")
            lines.append(("cacert", self.r.choice(("ca.pem", "sub/ca.pem", "../ca.pem",
                                                   "missing.pem"))))
        if self.p(0.03):
            self.tags.add("file-seconds-spelling")
            lines.append((self.r.choice(("ping_timeout", "ping_deadline")),
                          self.r.choice(self.SECONDS_SPELLINGS).strip() or "0x10"))
        return lines

    def job_output(self):
        """What the job writes, in order: ("o", line) to stdout, ("e",
        LINE) to stderr, ("O", word, n) N bytes of "word\n" repeated to
        stdout (past a pipe's capacity: hbrun must keep up with it)."""
        v = self.pick([("none", 30), ("lines", 64), ("big", 6)])
        self.tags.add("output-" + v)
        out = []
        if v == "none":
            return out
        for _ in range(self.r.randrange(1, 6)):
            words = "-".join(self.r.choice(OUTPUT_WORDS)
                             for _ in range(self.r.randrange(1, 4)))
            out.append(("o", words) if self.p(0.6) else ("e", words.upper() + "!"))
        if v == "big":
            out.insert(self.r.randrange(len(out) + 1),
                       ("O", self.r.choice(OUTPUT_WORDS),
                        self.r.choice((3000, 70000, 150000))))
        return out

    def job(self):
        kind = self.pick([("exit0", 60), ("exit", 12), ("signal", 9), ("stop", 7),
                          ("stop_trap", 5), ("missing", 5), ("hang", 2)])
        self.tags.add("job-" + kind)
        if kind == "exit0":
            job = {"kind": "exit", "code": 0}
        elif kind == "exit":
            job = {"kind": "exit", "code": self.r.randrange(1, 256)}
        elif kind == "signal":
            job = {"kind": "signal", "sig": int(self.r.choice(JOB_SIGNALS))}
        else:
            job = {"kind": kind}
        job["out"] = [] if kind == "missing" else self.job_output()
        return job

    def reader(self, job):
        """How hbrun's stdout is read (Reader): a file, a pipe read slowly,
        or a pipe whose reader has gone.  For the last, the job's big
        output goes (its ending must stay the case's: see Reader)."""
        kind = self.pick([("file", 80), ("slow", 12), ("closed", 8)])
        self.tags.add("reader-" + kind)
        # A hanging job times out after 0.2 or 0.5 s: behind a slow reader
        # its big output would still be blocked then, and it would never
        # reach its mark (the timeout cut it short, as it should).
        if kind == "closed" or (kind == "slow" and job["kind"] == "hang"):
            job["out"] = [piece for piece in job["out"] if piece[0] != "O"]
        return kind

    def case(self):
        self.server = self.pick([("ok", 85), ("503", 8), ("hang", 7)])
        self.templates()
        env = {}
        where = self.pick([("xdg", 60), ("cli", 25), ("env", 15)])
        conf_name = None
        if where == "xdg":
            self.config_file(XDG_CONF, named=False)
        else:
            folder = self.r.choice(("conf", "conf/deep", ""))
            path = os.path.join(folder, self.name("hb") + ".conf")
            given = self.config_file(path, named=True)
            self.decoy(XDG_CONF)
            if where == "cli":
                conf_name = given if self.p(0.7) or not given.startswith("@/") else given[2:]
                if self.p(0.3):
                    env_path = os.path.join("conf", self.name("envhb") + ".conf")
                    self.decoy(env_path)
                    env["HBRUN_CONFIG"] = "@/" + env_path
            else:
                env["HBRUN_CONFIG"] = given
        if self.p(0.05):
            env.setdefault("HBRUN_CONFIG", "")
        if self.p(0.3):
            env["HBRUN_TOKEN"] = self.pick([(self.token(), 70), (self.token(True), 10),
                                            ("", 15), (".", 5)])
            self.tags.add("env-token" + ("-empty" if env["HBRUN_TOKEN"] == "" else ""))
        if self.p(0.3):
            env["HBRUN_API_URL"] = self.api_value("env", "env")
        if self.p(0.03):
            self.tags.add("env-run-id")
            env["HBRUN_RUN_ID"] = "inherited-" + self.r.choice(OUTPUT_WORDS)
        env.update(self.trust_env())
        opts = self.cli(conf_name)
        for key in ("ping_url", "start_url", "fail_url"):
            if self.with_templates and self.p(0.35):
                opts += ["--" + key.replace("_", "-"), self.template_value("cli", "cli", key)]
        if self.p(0.15):
            opts = self.service_opts()
        elif self.p(0.12):
            opts = self.vendor_opts()
        if self.p(0.06):
            self.sentry_dsn_env(opts, env)
        self.token_newlines(opts, env)
        if self.p(0.01):
            self.tags.add("job-empty")
            opts += self.r.choice((["-j", ""], ["--job= "], ["-j", "\t"]))
        job = self.job()
        opts += self.job_control(job)
        opts += self.metrics_file(opts, job)
        case = {"n": self.n, "opts": opts, "env": env, "files": self.files,
                "job": job, "server": self.server, "tokens": self.tokens,
                "tags": sorted(self.tags), "held": self.held}
        case["metrics"] = self.metrics
        # A slow server, or the default API behind the catching proxy, gets
        # a short deadline, so that no correct run takes long.
        case["reader"] = self.reader(job)
        case["tags"] = sorted(self.tags)
        exp = expect(case)
        if (self.server != "ok" or exp["request"] == "default") and exp["deadline"] > 3 \
                and not own_125(exp):
            case["opts"] = opts + ["--ping-deadline", "2"]
        # With a metrics file, a share of the deadline is the file's; under
        # valgrind, loading libcurl alone takes about a second of the rest,
        # so that a deadline as short as 1.5 s would leave no attempt.
        if self.metrics and harness.UNDER_VALGRIND and exp["deadline"] < 2.5 \
                and not own_125(exp):
            case["opts"] = case["opts"] + ["--ping-deadline", "2.5"]
        return case

    def schedule_pick(self, level):
        """(key, value) pairs of schedule and tz at LEVEL, each tagged."""
        out = []
        for key, values, p in (("schedule", SCHEDULES, 0.15), ("tz", ZONES, 0.1)):
            if self.p(p):
                value, kind = self.r.choice(values)
                self.tags.add("%s-%s-%s" % (level, key, kind))
                out.append((key, value))
        return out

    def schedule_options(self):
        """--schedule and --tz, as one word or two."""
        return [["--%s=%s" % (k, v)] if self.p(0.2) else ["--" + k, v]
                for k, v in self.schedule_pick("cli")]

    def schedule_lines(self, level):
        return self.schedule_pick(level)


def generate(seed, n, ports):
    rng = random.Random("%s/%d" % (seed, n))
    return Gen(rng, n, ports).case()


# ---- running a case ---------------------------------------------------------

def boottime():
    return time.clock_gettime(time.CLOCK_BOOTTIME)


# The job: write its output, note that it ran and its HBRUN_RUN_ID, then
# end as the case says.  $0 is the marker, $1 the file for the time it
# ended (CLOCK_BOOTTIME, as /proc/uptime).
END = 'read up rest </proc/uptime; echo "$up" >"$1"'
MARK = 'echo "ran $HBRUN_RUN_ID" >>"$0"'
JOBS = {
    "exit": MARK + '; ' + END + '; exit %(code)d',
    "signal": MARK + '; ' + END + '; kill -%(sig)d $$; sleep 5',
    "stop": MARK + '; exec sleep 30',
    "hang": MARK + '; sleep 30',
    "stop_trap": "trap '" + END + '; kill $p; exit 0\' TERM; sleep 30 & p=$!; '
                 + MARK + '; wait',
}


def output_script(out):
    """Shell commands writing the job's output OUT (Gen.job_output): one
    write per line, so that no line of stderr is split."""
    cmds = []
    for piece in out:
        if piece[0] == "o":
            cmds.append("printf '%%s\\n' '%s'" % piece[1])
        elif piece[0] == "e":
            cmds.append("printf '%%s\\n' '%s' >&2" % piece[1])
        else:
            cmds.append("yes '%s' | head -c %d" % (piece[1], piece[2]))
    return "".join(c + "; " for c in cmds)


def output_bytes(out):
    """(stdout, stderr) that the job writes."""
    streams = {"o": [], "e": []}
    for piece in out:
        if piece[0] == "O":
            line = piece[1] + "\n"
            text = (line * (piece[2] // len(line) + 1))[:piece[2]]
            streams["o"].append(text)
        else:
            streams[piece[0]].append(piece[1] + "\n")
    return "".join(streams["o"]).encode(), "".join(streams["e"]).encode()


def sub(text, root):
    return text.replace("@/", root + "/")


def materialise(case, sb):
    for path in sorted(case["files"]):
        spec = case["files"][path]
        full = os.path.join(sb.dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.lexists(full):
            os.unlink(full)
        k = spec["kind"]
        if k == "file":
            data = spec["data"].replace(b"@/", (sb.dir + "/").encode())
            with open(full, "wb") as f:
                f.write(data)
            os.chmod(full, spec["mode"])
            if spec.get("owner"):
                os.chown(full, spec["owner"], -1)
        elif k == "fifo":
            os.mkfifo(full, 0o600)
        elif k == "dir":
            os.mkdir(full, 0o700)
        elif k == "symlink":
            os.symlink(spec["target"], full)
    for d in ("tf", "conf"):
        os.makedirs(os.path.join(sb.dir, d), exist_ok=True)


def command_of(case, sb):
    job = case["job"]
    if job["kind"] == "missing":
        cmd = [MISSING_CMD]
    else:
        cmd = ["sh", "-c", job_output_script(case) + JOBS[job["kind"]] % job,
               sb.path("ran"), sb.path("end")]
    return [sub(w, sb.dir) for w in case["opts"]] + ["--"] + cmd


def env_of(case, sb, catch_port):
    proxy = "http://c%d:x@127.0.0.1:%d" % (case["n"], catch_port)
    env = sb.env(https_proxy=proxy, HTTPS_PROXY=proxy, http_proxy=proxy,
                 ALL_PROXY=proxy, no_proxy="127.0.0.1,localhost,::1",
                 NO_PROXY="127.0.0.1,localhost,::1")
    for k, v in case["env"].items():
        env[k] = sub(v, sb.dir)
    return env


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def group_busy(pgid):
    """Whether a process of group PGID is running, ready to run, or in an
    uninterruptible wait (the kernel's locks and disk, which a machine under
    a load of hundreds holds for seconds): not idle, whatever the clock."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = read_text("/proc/%s/stat" % name).rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] in ("R", "D"):
            return True
    return False


def wait_idle(pid, t0, limit):
    """Wait until PID (started at T0, leader of its process group) has
    exited; False once it has been idle -- neither on a CPU nor waiting for
    one (which extends LIMIT), its group neither running nor stuck in the
    kernel -- past LIMIT, or at HARD_LIMIT."""
    end = limit
    while True:
        if harness.wait_exited(pid, max(0.0, end - boottime())):
            return True
        try:
            end = limit + sum(harness.process_times(pid))
        except OSError:
            pass
        now = boottime()
        if now >= t0 + HARD_LIMIT:
            return False
        if now >= end:
            if not group_busy(pid):
                return False
            limit += 1.0
            end += 1.0


class Reader:
    """hbrun's stdout as the case's reader takes it: the file OUT; a pipe
    read 4 KiB every 0.1 s by a thread (self.last: when the last bytes
    came); or a pipe whose reading end is closed before hbrun starts."""

    def __init__(self, kind, out):
        self.kind, self.got, self.last, self.thread = kind, [], None, None
        if kind == "file":
            self.fd = out.fileno()
            return
        r, self.fd = os.pipe()
        if kind == "closed":
            os.close(r)
            return
        self.thread = threading.Thread(target=self.read_slowly, args=(r,), daemon=True)
        self.thread.start()

    def read_slowly(self, r):
        with os.fdopen(r, "rb", buffering=0) as f:
            for chunk in iter(lambda: f.read(4096), b""):
                self.got.append(chunk)
                self.last = boottime()
                time.sleep(0.1)

    def started(self):
        if self.kind != "file":
            os.close(self.fd)

    def finish(self, raw_out, ended):
        """(stdout as read, the job's end as the ping deadline counts it)."""
        if self.thread:
            self.thread.join(HANG)
            return b"".join(self.got), max(ended, self.last or ended)
        return (b"" if self.kind == "closed" else raw_out), ended


def job_output_script(case):
    """output_script() of CASE's job; with a closed reader, the job ignores
    SIGPIPE and drops the errors of its writes to stdout (Reader)."""
    out = case["job"]["out"]
    if case.get("reader") != "closed":
        return output_script(out)
    return "trap '' PIPE; " + "".join(
        cmd + (" 2>/dev/null; " if piece[0] == "o" else "; ")
        for piece in out for cmd in [output_script([piece])[:-2]])


def run_case(case, exp, catch_port):
    """Run CASE; return what was seen (requests are gathered later)."""
    sb = Sandbox()
    held = None
    try:
        materialise(case, sb)
        if case.get("held"):
            held = os.open(sub(case["held"], sb.dir), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                           0o600)
            fcntl.flock(held, fcntl.LOCK_EX)
        out_path, err_path = sb.path("stdout"), sb.path("stderr")
        # Without an end request, the start request's last second or the
        # output's last reads may still follow the job.
        bound = (exp["deadline"] if exp["request"] else
                 1.0 if exp["start"] or exp["capture"] else 0) + 2.0 + harness.TIME_SLACK
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            reader = Reader(case.get("reader", "file"), out)
            t0 = boottime()
            p = subprocess.Popen(HBRUN_ARGV + command_of(case, sb), cwd=sb.dir,
                                 env=env_of(case, sb, catch_port), stdin=subprocess.DEVNULL,
                                 stdout=reader.fd, stderr=err, start_new_session=True)
            reader.started()
            harness.exit_clock().watch(p.pid)
            started = harness.start_time(p.pid)  # ended, for a job that never ran
        killed, term_at, stuck_in = False, None, ""
        limit = t0 + harness.scaled(bound) + HANG
        if case["job"]["kind"] in ("stop", "stop_trap"):
            while p.poll() is None and boottime() < limit:
                # The shell makes the file before it writes the line (and
                # sets the trap before both): a TERM in between would stop
                # a job that has not said it ran.
                if read_text(sb.path("ran")).startswith("ran"):
                    term_at = boottime()
                    p.send_signal(signal.SIGTERM)
                    break
                time.sleep(0.01)
        cpu = waiting = 0.0
        done = None
        if p.returncode is None:
            if wait_idle(p.pid, t0, limit):
                cpu, waiting = harness.process_times(p.pid)
                done = harness.exit_clock().ended(p.pid)
            else:
                killed = True
                stuck_in = read_text("/proc/%d/wchan" % p.pid)
                os.killpg(p.pid, signal.SIGKILL)  # hbrun is alive: its group is ours
        p.wait()
        if done is None:
            done = boottime()
        marks = []
        if os.path.exists(sb.path("ran")):
            with open(sb.path("ran")) as f:
                marks = f.read().splitlines()
        ended = started
        if os.path.exists(sb.path("end")):
            with open(sb.path("end")) as f:
                try:
                    ended = float(f.read().strip() or started)
                except ValueError:
                    pass
        if term_at is not None:
            ended = max(ended, term_at)
        with open(out_path, "rb") as f:
            raw_out = f.read()
        raw_out, ended = reader.finish(raw_out, ended)
        with open(err_path, "rb") as f:
            raw_err = f.read()
        return {"rc": p.returncode, "killed": killed, "runs": len(marks),
                "run_ids": [m.split(" ", 1)[-1] for m in marks],
                "raw_stdout": raw_out, "raw_stderr": raw_err,
                "stdout": raw_out.decode("utf-8", "replace"),
                "stderr": raw_err.decode("utf-8", "replace"),
                "after_job": done - ended, "bound": bound,
                "cpu": cpu, "waiting": waiting, "stuck_in": stuck_in, "elapsed": done - t0,
                "metrics": metrics_seen(case, sb)}
    finally:
        if held is not None:
            os.close(held)
        sb.close()


def leaks(text, tokens):
    found = set()
    for t in tokens:
        for i in range(len(t) - 4):
            if t[i:i + 5] in text:
                found.add(t[i:i + 5])
    return sorted(found)


def path_match(want, req):
    """The placeholders' values if REQ went where WANT ((port, path) with
    RUN_ID and DURATION) says: {"run_id": [...], "duration_ms": [...]}, or
    None."""
    if not isinstance(want, tuple) or req["method"] == "CONNECT" or req["port"] != want[0]:
        return None
    parts = re.split("(%s)" % "|".join(map(re.escape, PLACEHOLDERS)), want[1])
    rx = "".join("(%s)" % (PLACEHOLDERS[p] or UUID4.pattern) if p in PLACEHOLDERS
                 else re.escape(p) for p in parts)
    m = re.fullmatch(rx, req["path"])
    if m is None:
        return None
    names = [p for p in parts if p in PLACEHOLDERS]
    got = {RUN_ID: [], DURATION: []}
    for name, value in zip(names, m.groups()):
        got.setdefault(name, []).append(value)
    return got


def is_tail(body, out, err, limit):
    """Whether BODY is the last LIMIT bytes of the job's stdout OUT and
    stderr ERR as hbrun could have read them: each stream's bytes in
    order, the two interleaved in any way."""
    if len(body) != min(limit, len(out) + len(err)):
        return False
    # From the end: the ways to have matched K bytes, as the number of
    # OUT's bytes among them.
    states = {0}
    for k in range(len(body)):
        c = body[-1 - k]
        states = {i + 1 for i in states if i < len(out) and out[-1 - i] == c} | \
                 {i for i in states if k - i < len(err) and err[-1 - (k - i)] == c}
        if not states:
            return False
    return True


def tail_of_read(case, body, out, err, limit):
    """is_tail(); with a closed reader, of what hbrun read before it saw
    the reader gone: some first part of stdout, and all of stderr."""
    if case.get("reader") != "closed":
        return is_tail(body, out, err, limit)
    return any(is_tail(body, out[:k], err, limit) for k in range(len(out) + 1))


def shown_request(r):
    if r["method"] == "CONNECT":
        return "CONNECT %s" % r["target"]
    return "%s :%d%s (%d byte body%s)" % (r["method"], r["port"], r["path"], len(r["body"]),
                                          ", " + r["ctype"] if r["ctype"] else "")


def shown_want(want):
    return want if not isinstance(want, tuple) else ":%d%s" % want


def check_requests(case, exp, seen, requests):
    """Rule 2 and the events: every request is the start request or the
    one end request the oracle picks, each at most once (a server that
    answered 200 gets no retry), the run's fields filled in, with its
    method and body."""
    bad = []
    starts, ends, other = [], [], []
    for r in requests:
        if r["method"] == "CONNECT":
            (ends if exp["request"] == "default" and r["target"] == DEFAULT_TARGET
             else other).append((r, {RUN_ID: [], DURATION: []}))
            continue
        for want, into in ((exp["start"], starts), (exp["request"], ends)):
            got = path_match(want, r)
            if got is not None:
                into.append((r, got))
                break
        else:
            other.append((r, None))
    wanted = "start %s, %s %s" % (shown_want(exp["start"]), exp["event"],
                                  shown_want(exp["request"]))
    if other:
        bad.append(("wrong request" if exp["request"] or exp["start"] else "unexpected request",
                    "%s; expected %s; got %s" % (exp["why"], wanted,
                                                 [shown_request(r) for r, _ in other])))
    if isinstance(exp["request"], tuple) and not ends:
        bad.append(("missing request", "expected %s, got %s"
                    % (wanted, [shown_request(r) for r in requests])))
    if case["server"] == "ok":
        for what, got, most in (("start", starts, 1), ("end", ends, 1)):
            if len(got) > most and exp["request"] != "default":
                bad.append(("request count", "%d %s requests to a server that answered 200"
                            % (len(got), what)))
    fake = [(r, got, True) for r, got in starts] + \
        [(r, got, False) for r, got in ends if r["method"] != "CONNECT"]
    bad += check_methods_bodies(case, exp, fake)
    bad += check_fields(case, exp, seen, fake)
    bad += check_headers(exp, fake)
    return bad


def check_methods_bodies(case, exp, fake):
    """Each request's method, and the output's tail as the end request's
    body (whole on every attempt), no body elsewhere."""
    bad = []
    out, err = output_bytes(case["job"]["out"]) if exp["runs"] else (b"", b"")
    for r, _, start in fake:
        if r["method"] != exp["method"]:
            bad.append(("method", "%s, not %s" % (shown_request(r), exp["method"])))
        if start and exp.get("start_json"):
            bad += check_start_json(r)
        elif exp["body"] is None or start:
            if r["body"] or r["ctype"]:
                bad.append(("body", "%s: expected no body" % shown_request(r)))
        elif r["ctype"] != "text/plain" or not tail_of_read(case, r["body"], out, err,
                                                            exp["body"]):
            bad.append(("body", "%s: expected the last %d of the job's %d bytes of output, "
                        "got %r" % (shown_request(r), exp["body"], len(out) + len(err),
                                    r["body"][-200:])))
    return bad


def check_fields(case, exp, seen, fake):
    """One run id in all of the run's requests, the job's own; durations
    that fit in the run."""
    bad = []
    ids = {i for _, got, _ in fake for i in got[RUN_ID]}
    if len(ids) > 1 or (ids and seen["runs"] and ids != set(seen["run_ids"])):
        bad.append(("run id", "the requests carry %s, the job had %s"
                    % (sorted(ids), seen["run_ids"])))
    kind = case["job"]["kind"]
    for r, got, _ in fake:
        for d in list(map(int, got[DURATION])) + \
                [int(x.replace(".", "")) for x in got.get(DURATION_S, [])]:
            low = 0
            if kind == "hang":
                low = float(parse_cli(case["opts"])[0]["--timeout"]) * 1000 - 1
            high = 0 if kind == "missing" else seen["elapsed"] * 1000 + 1
            if not low <= d <= high:
                bad.append(("duration", "%s: %d ms, not within %d-%d ms"
                            % (shown_request(r), d, low, high)))
    return bad


JOB_LINE = re.compile(r"[A-Z!-]+")


def check_output(case, exp, seen):
    """Rule 1 for the job's output and environment: what it wrote reached
    hbrun's stdout and stderr whole and in order (hbrun adds nothing to
    stdout), and it had a fresh HBRUN_RUN_ID."""
    if seen["killed"]:
        return []
    bad = []
    out, err = output_bytes(case["job"]["out"]) if exp["runs"] and not exp.get("silent") \
        else (b"", b"")
    if case.get("reader") == "closed":
        out = b""  # nobody read it
    if seen["raw_stdout"] != out:
        bad.append(("stdout", "hbrun's stdout is not the job's: %d bytes, not %d; "
                    "starts %r" % (len(seen["raw_stdout"]), len(out),
                                   seen["raw_stdout"][:120])))
    job_err = [l for l in seen["raw_stderr"].split(b"\n")
               if JOB_LINE.fullmatch(l.decode("latin-1"))]
    if job_err != err.split(b"\n")[:-1]:
        bad.append(("stderr", "the job's stderr arrived as %r, not %r" % (job_err, err)))
    ids = set(seen["run_ids"])
    if exp["runs"] and not (len(ids) == 1 and UUID4.fullmatch(ids.pop())):
        bad.append(("run id", "the job's HBRUN_RUN_ID was %r, not a UUID (version 4)"
                    % seen["run_ids"]))
    return bad


# ---- the metrics file --------------------------------------------------------

METRICS_PATH = "m/job.prom"
METRICS_RESULTS = ("success", "failure", "timeout", "stopped", "lock_held")
# A previous file as hbrun writes it, for the job of the case: '@JOB@'.
METRICS_PREVIOUS_TEXT = "".join('hbrun_runs_total{job="@JOB@",result="%s"} 7\n' % r
                                for r in METRICS_RESULTS)
METRICS_RUN = re.compile(r'^hbrun_runs_total\{job="((?:[^"\\]|\\.)*)",result="(\w+)"\} (\d+)$',
                         re.M)
METRICS_EXIT = re.compile(r'^hbrun_last_exit_status\{job="(?:[^"\\]|\\.)*"\} (\d+)$', re.M)


def metrics_job(case):
    """The job label's value: -j NAME, else the command's base name."""
    parsed = parse_cli(case["opts"])
    job = parsed[1] if parsed else None
    if job is not None:
        return job
    return "job" if case["job"]["kind"] == "missing" else "sh"


def metrics_seen(case, sb):
    """The metrics file after the run: its text, 'dir', or None."""
    m = case.get("metrics")
    if not m:
        return None
    path = os.path.join(sb.dir, m["path"])
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return "dir" if stat.S_ISDIR(st.st_mode) else "fifo"
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def metrics_expected(case, exp):
    """(result, exit status, count) the file must hold, or None when no
    file may be written: a usage error, a config file that blocks every
    monitoring setting, an unusable value or folder."""
    m = case.get("metrics")
    parsed = parse_cli(case["opts"])
    if not m or own_125(exp) or parsed is None:
        return None
    if m["kind"] in ("dir", "no-folder", "proc", "empty"):
        return None
    if find_config(case, parsed[2]) == "blocked":
        return None
    count = 8 if m["kind"] == "previous" else 1
    if case.get("held"):  # not a job that exited 75 itself
        return "lock_held", 75, count
    cli, kind = parsed[0], case["job"]["kind"]
    if kind == "exit" and (exp["rc"] == 0 or exp["rc"] in cli.get("--success-status", ())):
        return "success", 0, count
    status = ending_fields(case, cli)[0]
    result = {"hang": "timeout", "stop": "stopped", "stop_trap": "stopped"}.get(kind, "failure")
    return result, status, count


def metrics_before(case):
    """What stood at the metrics file's place before the run, as
    metrics_seen() would read it."""
    before = case["files"].get(METRICS_PATH) if case["metrics"]["kind"] != "new" else None
    if before is None or before["kind"] in ("fifo", "dir"):
        return None if before is None else before["kind"]
    return before["data"].decode("utf-8", "replace")


def check_metrics(case, exp, seen):
    """The file hbrun wrote says how the run ended, its count carried over
    from a file hbrun wrote for the job and restarted after any other;
    where none may be written, none is."""
    m = case.get("metrics")
    if not m or seen["killed"]:
        return []
    want = metrics_expected(case, exp)
    got = seen["metrics"]
    if m["kind"] == "dir":
        return [] if got == "dir" else [("metrics", "the folder at the file's place is gone")]
    if want is None:
        return [] if got == metrics_before(case) else \
            [("metrics", "a file was written: %r" % (got or "")[:300])]
    result, status, count = want
    # Rule 1 before the file: one that the deadline's share did not see
    # written (a loaded machine, valgrind) is left, and said (unless quiet).
    late = "not written within the ping deadline" in seen["stderr"] or exp["quiet"]
    if late and got == metrics_before(case):
        return []
    if got in (None, "dir", "fifo"):
        return [("metrics", "no metrics file; expected %s" % (want,))]
    job = metrics_job(case).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    runs = {(j, r): int(n) for j, r, n in METRICS_RUN.findall(got)}
    wanted = {(job, r): (count if r == result else 7 if count == 8 else 0)
              for r in METRICS_RESULTS}
    exit_status = METRICS_EXIT.findall(got)
    if runs != wanted or exit_status != [str(status)]:
        return [("metrics", "expected %s for %r, exit status %d; got %r"
                 % (wanted, job, status, got[:600]))]
    return []


PROMTOOL = shutil.which("promtool")
PROMTOOL_FILES = 40


def promtool_rejects(texts):
    """What `promtool check metrics` says of up to PROMTOOL_FILES of the
    metrics files the cases left (each a promtool of its own, 4 at once):
    [(text, its words)] for each it rejects."""
    files = [t for t in texts if t not in (None, "dir", "fifo")
             and t.startswith("# HELP hbrun_")][:PROMTOOL_FILES]
    if not PROMTOOL:
        return []

    def one(text):
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                           capture_output=True, timeout=120)
        return None if (p.returncode, p.stdout + p.stderr) == (0, "") else \
            (text[:400], p.stdout + p.stderr)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return [r for r in pool.map(one, files) if r]


def check(case, exp, seen, requests):
    """The failures of one case: a list of (class, detail)."""
    bad = []
    if requests is None:  # a second run, for its time only
        requests = []
        exp = dict(exp, request=None, start=None)
    if seen["killed"]:
        bad.append(("hang", "still running %.1f s after the job (in %s); killed"
                    % (seen["after_job"], seen["stuck_in"] or "?")))
    if seen["runs"] != exp["runs"]:
        bad.append(("job runs", "the job ran %d times, not %d" % (seen["runs"], exp["runs"])))
    if not seen["killed"] and seen["rc"] != exp["rc"]:
        bad.append(("exit status", "hbrun's status %s, the job's %s" % (seen["rc"], exp["rc"])))
    bad += check_requests(case, exp, seen, requests)
    # The job's own output holds no token (its words are of one case) and
    # is checked byte for byte below: what else was printed is searched.
    text = "\n".join(l for l in seen["stderr"].splitlines() if not JOB_LINE.fullmatch(l))
    if exp["runs"] == 0 or seen["raw_stdout"] != output_bytes(case["job"]["out"])[0]:
        text += seen["stdout"]
    shown = leaks(text, case["tokens"])
    if shown:
        bad.append(("token shown", "output shows %r" % shown))
    bad += check_output(case, exp, seen)
    bad += check_metrics(case, exp, seen)
    # valgrind's own notes (--PID--, such as a syscall it does not know)
    # are the wrapper's, not hbrun's; the job's lines are upper-case.
    lines = [l for l in seen["stderr"].splitlines()
             if l and not (harness.UNDER_VALGRIND and VALGRIND_NOTE.match(l))
             and not JOB_LINE.fullmatch(l)]
    if any(not l.startswith("hbrun: ") for l in lines):
        bad.append(("message form", "a stderr line without 'hbrun: '"))
    if exp.get("no_body_warning") and not exp["quiet"] and not seen["killed"] \
            and not any("send_output" in l for l in lines):
        bad.append(("warning", "send_output with GET, and no warning that no output is sent"))
    if exp["quiet"] and lines and not seen["killed"] \
            and exp["rc"] not in (75, 124, 125, 126, 127) \
            and seen["rc"] not in (75, 124, 125, 126, 127):
        bad.append(("quiet", "a quiet run printed %d line(s)" % len(lines)))
    # What hbrun waited for itself: its time on a CPU, or waiting for one,
    # is the machine's speed and load.
    idle = seen["after_job"] - seen["cpu"] - seen["waiting"]
    if not seen["killed"] and idle > seen["bound"]:
        bad.append(("late", "ended %.2f s after the job, %.2f s of it idle (bound %.1f s)"
                    % (seen["after_job"], idle, seen["bound"])))
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(seen["stderr"]):
        bad.append(("valgrind", "memcheck reported errors"))
    return bad


def recheck_late(cases, expected, seen, verdicts, catch_port):
    """Run again, a few at a time, each case whose only fault was ending
    late: hbrun's idle time also holds what it waited for from a starved
    fake server or a saturated disk, which a machine under a load of
    hundreds can stretch by seconds.  A case late again stays failed; its
    second run's requests are not looked at.  (checked, late again)"""
    late = [i for i, bad in enumerate(verdicts) if bad and {c for c, _ in bad} == {"late"}]

    def again(i):
        s = run_case(cases[i], expected[i], catch_port)
        return i, [b for b in check(cases[i], expected[i], s, None) if b[0] == "late"]

    still = 0
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for i, bad in pool.map(again, late):
            if bad:
                still += 1
                verdicts[i] = [(c, d + " (and again: %s)" % bad[0][1])
                               for c, d in verdicts[i]]
            else:
                verdicts[i] = []
    return len(late), still


def describe(case, exp, seen, bad, seed):
    """A failing case as a reproducible description."""
    out = ["case %d (HBRUN_RULES_SEED=%s HBRUN_RULES_ONLY=%d); @/ is the sandbox, "
           "HOME=@/ XDG_CONFIG_HOME=@/xdg, cwd @/" % (case["n"], seed, case["n"])]
    for cls, detail in bad:
        out.append("  FAIL %s: %s" % (cls, detail))
    out.append("  expected: %s" % ({k: v for k, v in exp.items()},))
    out.append("  hbrun %s -- <job %s>" % (" ".join(repr(w) if (not w or " " in w) else w
                                                    for w in case["opts"]), case["job"]))
    out.append("  env: %r; server: %s" % (case["env"], case["server"]))
    for path in sorted(case["files"]):
        spec = case["files"][path]
        if spec["kind"] == "file":
            out.append("  file @/%s mode %04o owner %d: %r" % (
                path, spec["mode"], spec.get("owner", 0), spec["data"]))
        else:
            out.append("  %s @/%s%s" % (spec["kind"], path,
                                         " -> " + spec["target"] if "target" in spec else ""))
    out.append("  tags: %s" % ", ".join(case["tags"]))
    out.append("  got: rc %s, job ran %d, %.2f s after the job; stderr %r"
               % (seen["rc"], seen["runs"], seen["after_job"], seen["stderr"][:600]))
    return "\n".join(out)


def under_asan():
    if "asan" in os.environ.get("HBRUN_WRAPPER", ""):
        return True
    try:
        with open(harness.HBRUN, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def default_cases():
    if harness.UNDER_VALGRIND:
        return 40
    return 1000 if under_asan() else 3000


# ---- the tests --------------------------------------------------------------

def hand_case(opts, env=None, files=None, job=None):
    return {"n": 0, "opts": opts, "env": env or {}, "files": files or {},
            "job": job or {"kind": "exit", "code": 0}, "server": "ok", "tokens": [],
            "tags": []}


def conf(text, mode=0o600, owner=0):
    return {"kind": "file", "data": text.encode(), "mode": mode, "owner": owner}


U = "http://127.0.0.1:9/%s/v1"


class OracleTest(unittest.TestCase):
    """expect() on hand cases, the rules written out."""

    def req(self, case):
        return expect(case)["request"]

    def test_command_line_beats_everything(self):
        c = hand_case(["-t", "TOK", "--api-url", U % "cli"], {"HBRUN_TOKEN": "ENV"},
                      {XDG_CONF: conf("token = G\napi_url = %s\n" % (U % "g"))})
        self.assertEqual(self.req(c), (9, "/cli/v1/heartbeats/TOK/ping"))

    def test_empty_values(self):
        files = {XDG_CONF: conf("token = G\napi_url = %s\n" % (U % "g"))}
        self.assertIsNone(self.req(hand_case(["-t", ""], files=files)))
        self.assertIsNone(self.req(hand_case(["--api-url", ""], files=files)))
        self.assertIsNone(self.req(hand_case(["--token-file", ""], files=files)))
        # an empty environment variable is unset
        self.assertEqual(self.req(hand_case([], {"HBRUN_TOKEN": ""}, files)),
                         (9, "/g/v1/heartbeats/G/ping"))
        self.assertEqual(expect(hand_case(["-t", ""]))["rc"], 0)
        self.assertIsNone(self.req(hand_case(["-j", "b"], files={
            XDG_CONF: conf("token = G\napi_url = %s\n[b]\ntoken =\n" % (U % "g"))})))

    def test_bad_numbers(self):
        self.assertEqual(expect(hand_case(["--ping-deadline", "0"]))["rc"], 125)
        self.assertEqual(expect(hand_case(["--ping-retries", "1.5"]))["runs"], 0)
        c = hand_case(["-j", "b"], files={XDG_CONF: conf(
            "ping_deadline = 2\n[b]\nping_deadline = soon\n")})
        self.assertEqual(expect(c)["deadline"], 2)

    def test_dialect(self):
        g, s = read_ini(BOM + b'token = "Q"\n[b\ntoken = B\n[ c ]\n  token = C ;x\n'
                        b"ping_retries = 1\n" + b"token = " + b"x" * 300 + b"\n")
        self.assertEqual(g, {"token": "Q"})
        self.assertEqual(s, {"c": {"token": "x" * 300, "ping_retries": 1}})
        self.assertIsNone(read_ini(b"token = a\0b\n"))

    def test_headers(self):
        # a header is [NAME], then white space or a comment; anything else
        # opens a section no job matches, never the one before it
        for line, name in (("[b] ; " + "c" * 5000, "b"), ("[b];x", "b"), ("[b] #x", "b"),
                           ("[ b ]", "b"), ("[" + "n" * 4000 + "]", "n" * 4000),
                           ("[b ;x]", None), ("[]", None), ("[ ]", None), ("[j]x", None),
                           ("[a]b]", None), ("[[a]]", None), ("[a#b]", None), ("[a", None),
                           ("[b] x ;y", None)):
            g, s = read_ini(("token = G\n[a]\ntoken = A\n%s\ntoken = T\n" % line).encode())
            self.assertEqual((g, s.get("a")), ({"token": "G"}, {"token": "A"}), line)
            self.assertEqual(s.get(name) if name else None, {"token": "T"} if name else None)
        self.assertEqual(expect(hand_case(["-j", ""]))["rc"], 125)
        self.assertEqual(expect(hand_case(["--job= "]))["rc"], 125)

    def test_tokens_trimmed(self):
        for opts, env in ((["-t", "T\n"], {}), ([], {"HBRUN_TOKEN": " T\r\n"})):
            self.assertEqual(self.req(hand_case(opts, env)), "default")
        files = {XDG_CONF: conf("token = G\napi_url = %s\n" % (U % "g"))}
        # white space only: set but unusable, no lower level
        self.assertIsNone(self.req(hand_case(["-t", " \n"], files=files)))
        self.assertIsNone(self.req(hand_case([], {"HBRUN_TOKEN": "\n"}, files)))

    def test_templates_and_api_url_scoped_to_the_service(self):
        files = {XDG_CONF: conf("ping_url = http://127.0.0.1:9/g/p/{token}\n"
                                "api_url = http://127.0.0.1:9/g\n[hc]\nservice = healthchecks\n"
                                "api_url = http://127.0.0.1:9/hc\ntoken = T\n"
                                "[own]\nservice = betterstack\nfail_url = http://127.0.0.1:9/o/{token}"
                                "\napi_url = http://127.0.0.1:9/b\ntoken = T\n")}
        self.assertEqual(self.req(hand_case(["-j", "hc"], files=files)), (9, "/hc/T?rid={run_id}"))
        self.assertEqual(self.req(hand_case(["-j", "own"], files=files)), (9, "/b/T"))
        e = expect(hand_case(["-j", "own"], files=files, job={"kind": "exit", "code": 2}))
        self.assertEqual(e["request"], (9, "/o/T"))
        # the command line's service: the file's api_url and templates do not apply
        e = expect(hand_case(["-j", "hc", "--service", "betterstack", "--api-url",
                              "http://127.0.0.1:9/c"], files=files))
        self.assertEqual(e["request"], (9, "/c/T"))
        # an unknown service in a section: no request at all
        files = {XDG_CONF: conf("[x]\nservice = healthcheks\napi_url = %s\ntoken = T\n"
                                % (U % "x"))}
        self.assertIsNone(self.req(hand_case(["-j", "x"], files=files)))

    def test_broken_header_finds_no_section(self):
        files = {XDG_CONF: conf("api_url = %s\n[a]\ntoken = A\n[b\ntoken = B\n" % (U % "g"))}
        self.assertIsNone(self.req(hand_case(["-j", "b"], files=files)))
        self.assertEqual(self.req(hand_case(["-j", "a"], files=files)),
                         (9, "/g/v1/heartbeats/A/ping"))

    def test_untrusted_or_special_config_blocks_everything(self):
        for spec in (conf("", 0o664), conf("", 0o600, OTHER_UID), {"kind": "fifo"},
                     {"kind": "dir"}, conf("token = a\0\n")):
            c = hand_case(["-t", "T", "--api-url", U % "cli"], files={XDG_CONF: spec})
            self.assertIsNone(self.req(c), spec)
            self.assertEqual(expect(c)["runs"], 1)
        c = hand_case(["-t", "T", "--api-url", U % "cli", "-c", "@/nope"])
        self.assertIsNone(self.req(c))
        c = hand_case(["-t", "T", "--api-url", U % "cli"], {"HBRUN_CONFIG": "/dev/null"})
        self.assertIsNone(self.req(c))

    def test_token_files(self):
        files = {"d/c.conf": conf("token_file = t\napi_url = %s\n" % (U % "g")),
                 "d/t": conf("\ufeff  T%20 \r\nx\n", 0o644)}
        c = hand_case(["-c", "@/d/c.conf"], files=files)
        self.assertEqual(self.req(c), (9, "/g/v1/heartbeats/T%2520/ping"))
        for bad in (conf("\nT\n"), conf("T\0\n"), conf("T\n", 0o620), {"kind": "fifo"}):
            files["d/t"] = bad
            self.assertIsNone(self.req(c), bad)
        # a token at the same level wins over the token file
        files["d/c.conf"] = conf("token_file = t\ntoken = .\napi_url = %s\n" % (U % "g"))
        self.assertIsNone(self.req(c))

    def test_no_success_request_unless_success(self):
        for job in ({"kind": "exit", "code": 3}, {"kind": "signal", "sig": 9},
                    {"kind": "stop"}, {"kind": "stop_trap"}, {"kind": "missing"}):
            e = expect(hand_case(["-t", "T", "--api-url", U % "cli"], job=job))
            self.assertIsNone(e["request"], job)
        self.assertEqual(expect(hand_case([], job={"kind": "stop"}))["rc"], -15)

    def test_urls(self):
        self.assertIsNone(self.req(hand_case(["-t", "T", "--api-url", U % "a" + "#f"])))
        self.assertIsNone(self.req(hand_case(["-t", "T", "--api-url", U % "a" + "?q"])))
        self.assertIsNone(self.req(hand_case(["-t", "T", "--api-url",
                                              "http://u:p@127.0.0.1:9/v1"])))
        self.assertEqual(self.req(hand_case(["-t", "a/b", "--ping-url",
                                             "http://127.0.0.1:9/p/{token}?x=1"])),
                         (9, "/p/a%2Fb?x=1"))
        self.assertEqual(self.req(hand_case(["-t", "T"])), "default")


E = "http://127.0.0.1:9/%s/{token}?r={run_id}&e={exit_status}&d={duration_ms}&m={message}"


class EventsOracleTest(unittest.TestCase):
    """expect() on hand cases of the start, success and fail requests, the
    method and the output's tail."""

    def events(self, opts, job=None, files=None):
        e = expect(hand_case(["-t", "T"] + opts, files=files, job=job))
        return e["start"], e["request"]

    def test_fields_of_each_event(self):
        opts = ["--start-url", E % "s", "--fail-url", E % "f", "--ping-url", E % "p"]
        self.assertEqual(self.events(opts), (
            (9, "/s/T?r={run_id}&e=&d=&m=started"),
            (9, "/p/T?r={run_id}&e=0&d={duration_ms}&m=OK")))
        for job, status, message in (
                ({"kind": "exit", "code": 3}, 3, "exit%20status%203"),
                ({"kind": "signal", "sig": 9}, 137, "killed%20by%20signal%209%20%28KILL%29"),
                ({"kind": "stop"}, 143, "stopped%20by%20signal%2015%20%28TERM%29"),
                # asked to stop, then exited 0: still a fail, never 0
                ({"kind": "stop_trap"}, 143, "stopped%20by%20signal%2015%20%28TERM%29")):
            want = "/f/T?r={run_id}&e=%d&d={duration_ms}&m=%s" % (status, message)
            self.assertEqual(self.events(opts, job)[1], (9, want))
        timed_out = self.events(opts + ["--timeout", "0.5"], {"kind": "hang"})
        self.assertEqual(timed_out[1][1], "/f/T?r={run_id}&e=124&d={duration_ms}"
                                          "&m=timed%20out%20after%200.5%20s")
        # a listed status is a success: 0 and OK
        listed = self.events(opts + ["--success-status", "3"], {"kind": "exit", "code": 3})
        self.assertEqual(listed[1][1], "/p/T?r={run_id}&e=0&d={duration_ms}&m=OK")
        # a command that never ran never started; its fail request says why
        self.assertEqual(self.events(opts, {"kind": "missing"}), (
            None, (9, "/f/T?r={run_id}&e=127&d={duration_ms}&m=command%20not%20found")))
        # a usage error sends nothing, nor does a run that finds its lock held
        self.assertEqual(self.events(opts + ["--send-output", "1048577"]), (None, None))
        held = dict(hand_case(["-t", "T", "--lock", "@/l"] + opts), held="@/l")
        self.assertEqual([expect(held)[k] for k in ("rc", "runs", "start", "request")],
                         [75, 0, None, None])

    def test_templates_by_level(self):
        files = {XDG_CONF: conf("start_url = %s\nfail_url = %s\n[j]\nstart_url =\n"
                                % ("http://127.0.0.1:9/g/s/{token}",
                                   "http://127.0.0.1:9/g/f/{token}"))}
        fail = {"kind": "exit", "code": 1}
        self.assertEqual(self.events([], fail, files), ((9, "/g/s/T"), (9, "/g/f/T")))
        # the section's empty start_url blocks the global one, not its fail_url
        self.assertEqual(self.events(["-j", "j"], fail, files), (None, (9, "/g/f/T")))
        self.assertEqual(self.events(["--fail-url", "http://127.0.0.1:9/c/{token}"], fail, files),
                         ((9, "/g/s/T"), (9, "/c/T")))

    def test_unusable_templates(self):
        fail = {"kind": "exit", "code": 1}
        for bad in ("", "http://127.0.0.1:9/f/{token}#x", "http://u:p@127.0.0.1:9/f/{token}",
                    "http://127.0.0.1:9/f/{token}/{status}", "http://127.0.0.1:9/{Token}",
                    "http://127.0.0.1:9/f/{token}{"):
            self.assertEqual(self.events(["--fail-url", bad], fail), (None, None), bad)
        # '{{' is a literal brace, a lone '}' too
        self.assertEqual(self.events(["--fail-url", "http://127.0.0.1:9/{{x}/a}/{token}"], fail),
                         (None, (9, "/{x}/a}/T")))
        # no usable token: no request that needs one
        e = expect(hand_case(["-t", "..", "--fail-url", "http://127.0.0.1:9/f/{token}"], job=fail))
        self.assertIsNone(e["request"])

    def test_method(self):
        opts = ["--ping-url", "http://127.0.0.1:9/p/{token}"]
        for method, want in (("get", "GET"), ("Post", "POST"), ("GET", "GET")):
            e = expect(hand_case(["-t", "T", "--method", method] + opts))
            self.assertEqual((e["method"], e["request"]), (want, (9, "/p/T")))
        for method in ("PUT", "", "post get"):
            e = expect(hand_case(["-t", "T", "--method", method, "--start-url",
                                  "http://127.0.0.1:9/s/{token}"] + opts))
            self.assertEqual((e["start"], e["request"], e["rc"]), (None, None, 0), method)
        # a line too long is unusable, never left to a lower level
        files = {XDG_CONF: conf("method = GET\n[j]\nmethod = %s\n" % ("P" * 300))}
        self.assertIsNone(expect(hand_case(["-t", "T", "-j", "j"] + opts, files=files))["request"])
        files = {XDG_CONF: conf("method = PUT\n[j]\nmethod = get\n")}
        e = expect(hand_case(["-t", "T", "-j", "j"] + opts, files=files))
        self.assertEqual((e["method"], e["request"]), ("GET", (9, "/p/T")))
        self.assertIsNone(expect(hand_case(["-t", "T"] + opts, files=files))["request"])

    def test_send_output(self):
        opts = ["-t", "T", "--ping-url", "http://127.0.0.1:9/p/{token}"]
        self.assertEqual(expect(hand_case(opts + ["--send-output", "100"]))["body"], 100)
        self.assertIsNone(expect(hand_case(opts + ["--send-output", "0"]))["body"])
        for bad in ("", "-1", "1048577", "1k"):
            self.assertEqual(expect(hand_case(opts + ["--send-output", bad]))["rc"], 125, bad)
        # in a file, a bad number is ignored: the level below applies
        files = {XDG_CONF: conf("send_output = 40\n[j]\nsend_output = 1048577\n")}
        self.assertEqual(expect(hand_case(opts + ["-j", "j"], files=files))["body"], 40)
        # GET has no body, and says so
        e = expect(hand_case(opts + ["--send-output", "100", "--method", "GET"]))
        self.assertEqual((e["method"], e["body"], e["request"], e["no_body_warning"]),
                         ("GET", None, (9, "/p/T"), True))
        # the body goes with the end request only
        e = expect(hand_case(opts + ["--send-output", "9", "--fail-url", "http://127.0.0.1:9/f",
                                     "--start-url", "http://127.0.0.1:9/s"],
                             job={"kind": "exit", "code": 2}))
        self.assertEqual((e["start"], e["request"], e["body"]), ((9, "/s"), (9, "/f"), 9))

    def test_services(self):
        base = ["--api-url", "http://127.0.0.1:9/k", "-t", "T"]
        kuma = expect(hand_case(["--service", "uptime-kuma"] + base + ["--send-output", "5"]))
        self.assertEqual((kuma["method"], kuma["body"], kuma["request"]), (
            "GET", None, (9, "/k/api/push/T?status=up&msg=OK&ping={duration_ms}")))
        kuma = expect(hand_case(["--service", "Uptime-Kuma", "--method", "post"] + base,
                                job={"kind": "exit", "code": 4}))
        self.assertEqual((kuma["method"], kuma["request"]), (
            "POST", (9, "/k/api/push/T?status=down&msg=exit%20status%204&ping={duration_ms}")))
        hc = expect(hand_case(["--service", "healthchecks"] + base,
                              job={"kind": "signal", "sig": 10}))
        self.assertEqual((hc["start"], hc["request"]), ((9, "/k/T/start?rid={run_id}"),
                                                        (9, "/k/T/138?rid={run_id}")))
        # a template replaces the preset's request of its event only
        hc = expect(hand_case(["--service", "healthchecks", "--start-url", ""] + base))
        self.assertEqual((hc["start"], hc["request"]), (None, (9, "/k/T?rid={run_id}")))
        self.assertIsNone(expect(hand_case(["--service", "betterstack"] + base,
                                           job={"kind": "missing"}))["start"])

    def test_checks(self):
        self.assertTrue(is_tail(b"o\nE\n", b"fo\n", b"E\n", 4))
        self.assertTrue(is_tail(b"CbD", b"ab", b"CD", 3))  # interleaved
        self.assertFalse(is_tail(b"DbC", b"ab", b"CD", 3))  # stderr out of order
        self.assertFalse(is_tail(b"E\no", b"fo\n", b"E\n", 4))  # stdout out of order
        self.assertFalse(is_tail(b"o\n", b"fo\n", b"E\n", 3))  # too short
        self.assertTrue(is_tail(b"", b"", b"", 9))
        got = path_match((9, "/p/{run_id}?d={duration_ms}"), {
            "method": "POST", "port": 9,
            "path": "/p/0b1f7ad6-3c1e-4d52-9a0e-6b2b8d3c4e5f?d=12"})
        self.assertEqual(got, {RUN_ID: ["0b1f7ad6-3c1e-4d52-9a0e-6b2b8d3c4e5f"],
                               DURATION: ["12"]})
        self.assertIsNone(path_match((9, "/p/{run_id}"), {"method": "POST", "port": 9,
                                                           "path": "/p/not-a-uuid"}))


class VendorsOracleTest(unittest.TestCase):
    """The oracle of the sentry, cronitor and healthchecks slug presets,
    the monitor and the headers, on hand cases."""

    def test_sentry(self):
        dsn = ["--service", "sentry", "-t", "http://K1@127.0.0.1:9/pre/42"]
        e = expect(hand_case(dsn + ["--monitor", "m"]))
        self.assertEqual((e["start"], e["request"]), (
            (9, "/pre/api/42/cron/m/K1/?status=in_progress&check_in_id={run_id}"),
            (9, "/pre/api/42/cron/m/K1/?status=ok&check_in_id={run_id}"
                "&duration={duration_s}")))
        e = expect(hand_case(dsn + ["-j", "db", "--api-url", "http://127.0.0.1:8/r"],
                             job={"kind": "exit", "code": 2}))
        self.assertEqual(e["request"], (8, "/r/api/42/cron/db/K1/?status=error"
                                           "&check_in_id={run_id}&duration={duration_s}"))
        for bad in (["--monitor", ""], ["--monitor", ".."], []):
            self.assertIsNone(expect(hand_case(dsn + bad))["request"], bad)
        self.assertIsNone(expect(hand_case(["--service", "sentry", "-t", "http://127.0.0.1:9/42",
                                            "--monitor", "m"]))["request"])
        out = expect(hand_case(dsn + ["--monitor", "m", "--send-output", "9"]))
        self.assertEqual((out["body"], out["no_body_warning"]), (None, True))

    def test_cronitor_and_cost(self):
        e = expect(hand_case(["--service", "cronitor", "--api-url", "http://127.0.0.1:9/p",
                              "-t", "T", "--monitor", "a b"], job={"kind": "signal", "sig": 9}))
        self.assertEqual(e["request"], (9, "/p/T/a%20b?state=fail&series={run_id}&status_code=137"
                                           "&duration={duration_s}&message=killed%20by%20signal"
                                           "%209%20%28KILL%29&host=" + HOSTNAME))
        e = expect(hand_case(["-t", "T", "--ping-url",
                              "http://127.0.0.1:9/{token}?r={max_rss_kb}&c={cpu_ms}",
                              "--start-url", "http://127.0.0.1:9/s?c={cpu_ms}"]))
        self.assertEqual((e["start"], e["request"]), ((9, "/s?c="), (9, "/T?r={cost}&c={cost}")))

    def test_healthchecks_slugs(self):
        base = ["--service", "healthchecks", "--api-url", "http://127.0.0.1:9/ping"]
        e = expect(hand_case(base + ["-t", "PK/a b"]))
        self.assertEqual(e["request"], (9, "/ping/PK/a%20b?rid={run_id}"))
        e = expect(hand_case(base + ["-t", "PK", "--monitor", "m", "-j", "x"]))
        self.assertEqual(e["request"], (9, "/ping/PK/m?create=1&rid={run_id}"))
        e = expect(hand_case(base + ["-t", "PK", "-j", "x"]))
        self.assertEqual(e["request"], (9, "/ping/PK?rid={run_id}"))
        for bad in (["-t", "PK/a", "--monitor", "m"], ["-t", "PK/.."], ["-t", "PK/a/b"],
                    ["-t", "PK", "--monitor", ""]):
            self.assertIsNone(expect(hand_case(base + bad))["request"], bad)

    def test_headers(self):
        ping = ["-t", "T", "--ping-url", "http://127.0.0.1:9/{token}"]
        e = expect(hand_case(ping + ["--header", "X-A: 1", "--header", "X-B:2"]))
        self.assertEqual(e["headers"], [("X-A", "1"), ("X-B", "2")])
        for bad in ("X-A:", "NoColon", "X A: 1", "X-A: 1\r\nX-B: 2", "Content-Length: 1", ""):
            e = expect(hand_case(ping + ["--header", "X-Ok: 1", "--header", bad]))
            self.assertEqual((e["request"], e["start"]), (None, None), bad)


class RulesTest(unittest.TestCase):
    def test_generated_cases(self):
        seed = os.environ.get("HBRUN_RULES_SEED") or str(random.randrange(10 ** 9))
        count = int(os.environ.get("HBRUN_RULES_CASES") or default_cases())
        only = os.environ.get("HBRUN_RULES_ONLY")
        workers = int(os.environ.get("HBRUN_RULES_JOBS")
                      or (4 if harness.UNDER_VALGRIND else 32))
        show = int(os.environ.get("HBRUN_RULES_FAILURES") or 10)
        servers = {"ok": FakeAPI(max_requests=10 ** 6, backlog=256),
                   "503": FakeAPI(plan=[("status", 503, {}, b'{"error":"busy"}')],
                                  max_requests=10 ** 6, backlog=256),
                   "hang": FakeAPI(plan=[("hang",)], max_requests=10 ** 6, backlog=256),
                   "catch": FakeAPI(plan=[("status", 403, {}, b"")], max_requests=10 ** 6)}
        for s in servers.values():
            s.start()
            self.addCleanup(s.stop)
        ports = {k: s.port for k, s in servers.items()}
        numbers = [int(only)] if only else range(count)
        print("rules: seed %s, %d case(s), %d at once (HBRUN_RULES_SEED=%s to repeat)"
              % (seed, len(numbers), workers, seed), file=sys.stderr)
        cases = [generate(seed, n, ports) for n in numbers]
        expected = [expect(c) for c in cases]
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            seen = list(pool.map(lambda ce: run_case(ce[0], ce[1], ports["catch"]),
                                 zip(cases, expected)))
        wall = time.monotonic() - t0
        time.sleep(0.5)  # a request sent just before hbrun gave up is recorded
        by_case = collections.defaultdict(list)
        stray = []
        port_of = {s.port: s for s in servers.values()}
        for port, srv in port_of.items():
            for r in srv.requests:
                m = re.match(r"^/c(\d+)/", r.path)
                if srv is servers["catch"]:
                    user = base64.b64decode(r.headers.get("proxy-authorization", "Basic ")
                                            .split(" ", 1)[-1] or b"").decode("latin-1")
                    m = re.match(r"^c(\d+):", user)
                    if m:
                        by_case[int(m.group(1))].append({"method": "CONNECT",
                                                         "target": r.target})
                        continue
                if m:
                    by_case[int(m.group(1))].append({
                        "method": r.method, "port": port, "path": r.path, "body": r.body,
                        "ctype": r.headers.get("content-type"),
                        "headers": r.raw_headers})
                else:
                    stray.append((port, r.method, r.target))
        verdicts = [check(c, e, s, by_case.get(c["n"], []))
                    for c, e, s in zip(cases, expected, seen)]
        # A run id names one run: no two cases' jobs were given the same.
        owners = collections.defaultdict(set)
        for c, s in zip(cases, seen):
            for run_id in s["run_ids"]:
                owners[run_id].add(c["n"])
        index = {c["n"]: i for i, c in enumerate(cases)}
        for run_id, names in owners.items():
            for n in names if len(names) > 1 else ():
                verdicts[index[n]].append(("run id", "%s also given to case(s) %s"
                                           % (run_id, sorted(names - {n}))))
        rechecked = recheck_late(cases, expected, seen, verdicts, ports["catch"])
        failures = collections.Counter()
        tag_failures = collections.Counter()
        failed = []
        for case, exp, s, bad in zip(cases, expected, seen, verdicts):
            if bad:
                failed.append(case["n"])
                for cls, _ in bad:
                    failures[cls] += 1
                for tag in case["tags"]:
                    tag_failures[tag] += 1
                if len(failed) <= show:
                    print(describe(case, exp, s, bad, seed), file=sys.stderr)
        kinds = collections.Counter(
            str(e["rc"]) if e["rc"] in (75, 125) else "%s request" % e["event"] if e["request"]
            else "no end request" for e in expected)
        kinds["start request"] = sum(bool(e["start"]) for e in expected)
        kinds["GET"] = sum(bool(e["request"] or e["start"]) and e["method"] == "GET"
                           for e in expected)
        kinds["output sent"] = sum(e["body"] is not None for e in expected)
        # The start request may be abandoned a second after the job, so
        # its absence fails no case; how often it came is shown.
        starts_came = sum(any(path_match(e["start"], r) is not None
                              for r in by_case.get(c["n"], []))
                          for c, e in zip(cases, expected) if e["start"])
        times = sorted(x["elapsed"] for x in seen)
        print("rules: %d case(s) in %.1f s, %d at once (seed %s; expected: %s; a case took "
              "%.2f s median, %.2f s at most; %d late one(s) run again, %d late again): "
              "%d failed%s; %d request(s), a start request came in %d of %d cases"
              % (len(cases), wall, workers, seed,
                 ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
                 times[len(times) // 2], times[-1], rechecked[0], rechecked[1], len(failed),
                 " (" + ", ".join("%s %d" % kv for kv in failures.most_common()) + ")"
                 if failed else "", sum(len(v) for v in by_case.values()), starts_came,
                 kinds["start request"]), file=sys.stderr)
        if failed:
            print("rules: tags of failing cases: %s"
                  % ", ".join("%s %d" % kv for kv in tag_failures.most_common(25)),
                  file=sys.stderr)
            print("rules: failing cases: %s" % " ".join(map(str, failed[:200])), file=sys.stderr)
        self.assertEqual(stray, [], "requests that name no case")
        self.assertEqual(promtool_rejects([x["metrics"] for x in seen]), [],
                         "metrics files promtool check metrics rejects")
        self.assertEqual(failed, [], "cases broke the rules (seed %s)" % seed)


if __name__ == "__main__":
    unittest.main(verbosity=2)
