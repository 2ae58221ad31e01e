"""hbrun's costs, measured side by side with what it replaces.

    python3 tests/bench/bench.py [--hbrun build/src/hbrun/hbrun] [--quick]

Starts the local fake API (tests/support/fakeapi.py, 127.0.0.1 only) and
measures, alternating the commands within one run so that both see the same
machine:

  1. wall time of a successful job and its ping: hbrun against the curl idiom
     sh -c 'true && curl -fsS -m 10 --retry 5 -X POST -o /dev/null URL';
  2. the overhead of a failed job (no ping): hbrun -- false against false;
  3. the memory of hbrun while its job runs (/proc/PID/smaps_rollup:
     private = Private_Clean + Private_Dirty, and Rss), beside the sh of the
     curl idiom;
  4. N hbruns waiting at once: their private memory added up;
  5. a burst of concurrent wrapped jobs, each pinging;
  6. the same over https, verified against the system's CA store: a local
     TLS server with a real chain (root CA -> intermediate -> leaf), its
     root CA added to a copy of /etc/ssl/certs that is bound over the real
     one in a private mount namespace of the bench's own (never on the
     host; needs root): wall time, CPU time (user + system, every process
     of the command) and instructions per ping, hbrun against the curl
     idiom, and a burst of 100 of each at once, their CPU time added up.
  7. with a start request: the memory of a waiting hbrun, and how long a
     signal sent just as the job starts takes to reach it (loading libcurl
     and beginning the start request included), against no start request;
  8. with --send-output: a job writing 1 GiB through hbrun against the same
     job alone, each into a pipe read by cat, and against the job's bytes
     passed on by a second cat (any process in between costs as much), and
     hbrun's memory meanwhile.
  9. schedules: how long the longest gap over 29 years takes (hbrun --check
     computes it; hbctl next, which prints due times only, beside it) for
     * * * * *, 0 0 29 2 * and a calendar event of several OnCalendar=
     lines; and a waiting hbrun's private memory with and without a
     schedule set (a run computes nothing of it).
 10. with --metrics-file: a waiting hbrun's memory with and without it,
     and what a run that writes the file costs over one without.
 11. with --output-on-failure, side by side in one run: the job alone, the
     job through a cat relay, hbrun --send-output, hbrun --output-on-failure
     after a success (nothing written) and after a failure (all of it
     written back once the job has ended), each into a pipe read by wc -c:
     rates, CPU of all processes per GiB, and hbrun's memory.
     (--output-only runs this section alone.)

Wall times on a shared or virtual machine wander; where valgrind is
installed, the bench also counts the instructions of 1 and 2 (callgrind,
every process of the command added up), which come out the same on every
run of the same binaries.

It prints medians and ratios.  It checks only that every command did what it
should (exit statuses, pings recorded): the figures are for reading, not
asserting.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import certs  # noqa: E402
import trust_store  # noqa: E402
from fakeapi import FakeAPI  # noqa: E402

KIB = 1024


def clean_env(home):
    xdg = os.path.join(home, "xdg")
    os.makedirs(os.path.join(xdg, "hbrun"), exist_ok=True)
    open(os.path.join(xdg, "hbrun", "hbrun.conf"), "w").close()
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
            "XDG_CONFIG_HOME": xdg, "LC_ALL": "C"}


def timed(cmd, env, expect):
    start = time.perf_counter()
    rc = subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if rc != expect:
        raise SystemExit("bench: %s exited %d, not %d" % (cmd, rc, expect))
    return elapsed


def alternate(a, b, env, rounds, expect):
    """Run A and B in turn ROUNDS times; return their lists of times."""
    ta, tb = [], []
    for i in range(rounds):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t1 = timed(first, env, expect)
        t2 = timed(second, env, expect)
        if first is a:
            ta.append(t1)
            tb.append(t2)
        else:
            ta.append(t2)
            tb.append(t1)
    return ta, tb


def compare(a, b, env, rounds, expect):
    """Medians of A and B, and the median of their ratio round by round."""
    ta, tb = alternate(a, b, env, rounds, expect)
    ratio = statistics.median(x / y for x, y in zip(ta, tb))
    return statistics.median(ta), statistics.median(tb), ratio


COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.M)


def instructions(valgrind, cmd, env, box, expect):
    """Instructions run by CMD and every process it starts (callgrind)."""
    out = os.path.join(box, "callgrind.%p")
    p = subprocess.run([valgrind, "--tool=callgrind", "--trace-children=yes",
                        "--callgrind-out-file=" + out] + cmd, env=env,
                       stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    if p.returncode != expect:
        raise SystemExit("bench: under callgrind %s exited %d, not %d\n%s"
                         % (cmd, p.returncode, expect, p.stderr))
    counts = [int(n) for n in COLLECTED.findall(p.stderr)]
    if not counts:
        raise SystemExit("bench: no callgrind figure for %s\n%s" % (cmd, p.stderr))
    return sum(counts)


def memory_of(pid):
    """(private, rss) in KiB from /proc/PID/smaps_rollup."""
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Rss"]


def program_pages(pid):
    """KiB of PID's private memory that are pages of its own program file:
    the first process to map them holds them alone, every further one
    running the same binary shares them."""
    exe = os.readlink("/proc/%d/exe" % pid)
    total, mine = 0, False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and "-" in parts[0] and not parts[0].endswith(":"):
                mine = len(parts) >= 6 and parts[5] == exe
            elif mine and parts[0] in ("Private_Clean:", "Private_Dirty:"):
                total += int(parts[1])
    return total


def wait_until(path, timeout=10):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise SystemExit("bench: job did not start")
        time.sleep(0.005)


def waiting_memory(name, cmd_for, env, box, samples):
    """(private, rss, largest rss, program) in KiB of the process started
    by CMD_FOR(ready, go) while its job waits: medians, the largest RSS
    seen, and the median of program_pages() within the private figure.  RSS
    moves from run to run: address randomisation shifts libc against the
    kernel's fault-around windows."""
    private, rss, program = [], [], []
    for i in range(samples):
        ready = os.path.join(box, "wait-%s-ready-%d" % (name, i))
        go = os.path.join(box, "wait-%s-go-%d" % (name, i))
        p = subprocess.Popen(cmd_for(ready, go), env=env)
        wait_until(ready)
        time.sleep(0.05)
        pr, rs = memory_of(p.pid)
        private.append(pr)
        rss.append(rs)
        program.append(program_pages(p.pid))
        open(go, "w").close()
        p.wait(30)
    return (statistics.median(private), statistics.median(rss), max(rss),
            statistics.median(program))


def job_waiting(ready, go):
    return ["sh", "-c", 'touch "$1"; while [ ! -e "$2" ]; do sleep 0.01; done',
            "job", ready, go]


def many_waiting(hbrun, env, box, count):
    """COUNT hbruns whose jobs wait; their private memory added up (KiB)."""
    go = os.path.join(box, "go-many")
    procs = [subprocess.Popen([hbrun, "-q", "--", "sh", "-c",
                               'touch "$1"; while [ ! -e "$2" ]; do sleep 0.2; done',
                               "job", os.path.join(box, "m%d" % i), go], env=env)
             for i in range(count)]
    try:
        for i in range(count):
            wait_until(os.path.join(box, "m%d" % i), 60)
        total = sum(memory_of(p.pid)[0] for p in procs)
    finally:
        open(go, "w").close()
        for p in procs:
            p.wait(60)
    return total


def children_cpu():
    """CPU seconds (user + system) of this process's waited-for children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_cpu(cmd, env, expect):
    """(wall, cpu) seconds of CMD and every process it started."""
    before = children_cpu()
    wall = timed(cmd, env, expect)
    return wall, children_cpu() - before


def compare_cpu(a, b, env, rounds, expect):
    """Medians of the wall and CPU times of A(i) and B(i) (functions of the
    round, giving commands), run in turn, and the medians of their ratios
    round by round."""
    fig = {"a": ([], []), "b": ([], [])}
    for i in range(rounds):
        for key in ("ab" if i % 2 == 0 else "ba"):
            wall, cpu = timed_cpu((a if key == "a" else b)(i), env, expect)
            fig[key][0].append(wall)
            fig[key][1].append(cpu)
    med = {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in fig.items()}
    ratios = tuple(statistics.median(x / y for x, y in zip(fig["a"][j], fig["b"][j]))
                   for j in (0, 1))
    return med["a"], med["b"], ratios


def https_store(box):
    """A server certificate chain whose root CA this process (and what it
    starts) trusts as one of the system's: ((cert_file, key), None), or
    (None, why not).  Call it before any thread is started."""
    why = trust_store.usable()
    if why:
        return None, why
    root = certs.make_ca(box, name="hbrun bench root CA")
    inter = certs.make_intermediate(box, root, name="hbrun bench intermediate CA")
    leaf, key = certs.make_cert(box, inter, name="bench-leaf")
    trust_store.enter(trust_store.make(box, [root[0]]))
    return (certs.chain(box, leaf, inter), key), None


def burst_cpu(cmds, env):
    """Start every command of CMDS at once; (wall, CPU added up) seconds."""
    before = children_cpu()
    start = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdin=subprocess.DEVNULL) for c in cmds]
    codes = [p.wait(120) for p in procs]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise SystemExit("bench: burst exit statuses %s" % set(codes))
    return elapsed, children_cpu() - before


def expect_pings(api, before, tokens):
    """Every token of TOKENS pinged since request BEFORE: hbrun exits 0
    whether or not its ping got through.  (Under heavy load a retried
    attempt may ping twice: a token is counted once.)"""
    seen = {r.target.split("/")[-2] for r in api.requests[before:]}
    missing = [t for t in tokens if t not in seen]
    if missing:
        raise SystemExit("bench: no https ping recorded for %d of %d runs (%s, ...)"
                         % (len(missing), len(tokens), missing[0]))


def bench_https(hbrun, env, box, tls, rounds, valgrind, quick):
    """Section 6: a verified https ping, hbrun against the curl idiom.  The
    idiom's burst, the heaviest load of the bench, is left out of a quick
    run: on a busy machine its connections can time out."""
    with FakeAPI(tls=tls, backlog=512, max_requests=100000) as api:
        def h_ok(token):
            return [hbrun, "-t", token, "--api-url", api.url, "--", "true"]

        def idiom(token):
            return ["sh", "-c", "true && curl -fsS -m 10 --retry 5 -X POST "
                    "-o /dev/null %s/heartbeats/%s/ping" % (api.url, token)]

        before = len(api.requests)
        (hw, hc), (cw, cc), (rw, rc) = compare_cpu(
            lambda i: h_ok("h%d" % i), lambda i: idiom("c%d" % i), env, rounds, 0)
        expect_pings(api, before, ["h%d" % i for i in range(rounds)]
                     + ["c%d" % i for i in range(rounds)])
        print("https + ping     hbrun %s   curl idiom %s   ratio %.2f "
              "(median of the rounds' ratios %.2f)" % (ms(hw), ms(cw), hw / cw, rw))
        print("https CPU/ping   hbrun %s   curl idiom %s   ratio %.2f "
              "(median of the rounds' ratios %.2f)" % (ms(hc), ms(cc), hc / cc, rc))
        if valgrind:
            before = len(api.requests)
            ih = instructions(valgrind, h_ok("hcg"), env, box, 0)
            ic = instructions(valgrind, idiom("ccg"), env, box, 0)
            expect_pings(api, before, ["hcg", "ccg"])
            print("https instr.     hbrun %.2fM, curl idiom %.2fM, ratio %.2f"
                  % (ih / 1e6, ic / 1e6, ih / ic))
        n = 100
        bursts = (("hbrun", h_ok),) + (() if quick else (("curl idiom", idiom),))
        for name, cmd in bursts:
            before = len(api.requests)
            tokens = ["burst-%s-%d" % (name[0], i) for i in range(n)]
            wall, cpu = burst_cpu([cmd(t) for t in tokens], env)
            expect_pings(api, before, tokens)
            print("https burst %d  %-10s CPU in all %s (%s a ping), all done in %s"
                  % (n, name, ms(cpu), ms(cpu / n), ms(wall)))


def burst(hbrun, env, api, count):
    start = time.perf_counter()
    procs = [subprocess.Popen([hbrun, "-t", "burst-%d" % i, "--api-url", api.url,
                               "--", "true"], env=env) for i in range(count)]
    codes = [p.wait(120) for p in procs]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise SystemExit("bench: burst exit statuses %s" % set(codes))
    return elapsed


# A job that notes when a SIGUSR1 arrives (realtime seconds) and ends.
# The shell is up in a millisecond: the signal comes while hbrun is
# still busy with what follows the job's start.
SIGNAL_NOTE = ('trap \'date +%s.%N > "$2"; exit 0\' USR1; : > "$1"; '
               'while :; do sleep 1 & wait $!; done')


def forwarding_delay(name, cmd, env, box, rounds):
    """Seconds from a SIGUSR1 sent to hbrun as soon as its job is up to the
    job's trap: the median and the largest of ROUNDS."""
    delays = []
    for i in range(rounds):
        ready = os.path.join(box, "fw-%s-ready-%d" % (name, i))
        note = os.path.join(box, "fw-%s-note-%d" % (name, i))
        p = subprocess.Popen(cmd + ["--", "sh", "-c", SIGNAL_NOTE, "job", ready, note],
                             env=env)
        end = time.monotonic() + 60
        while not os.path.exists(ready):
            if time.monotonic() > end:
                raise SystemExit("bench: the signal job did not start")
        t0 = time.time()
        p.send_signal(10)  # SIGUSR1
        rc = p.wait(30)
        if rc != 0:
            raise SystemExit("bench: the signal job exited %d" % rc)
        with open(note) as f:
            delays.append(float(f.read()) - t0)
    return statistics.median(delays), max(delays)


def throughput(hbrun, env, box, size, rounds):
    """Seconds for a job writing SIZE bytes into a pipe read by cat: alone,
    through hbrun --send-output, and through a second cat, the cheapest
    copy any process in between can make (medians of ROUNDS, alternated);
    the CPU seconds of all the processes of each; and hbrun's private memory
    (KiB) once the job has written them all."""
    gen = "head -c %d /dev/zero" % size
    alone = ["sh", "-c", gen + " | cat > /dev/null"]
    through = ["sh", "-c", "%s -q --send-output 1048576 -- %s | cat > /dev/null"
               % (hbrun, gen)]
    relay = ["sh", "-c", gen + " | cat | cat > /dev/null"]
    t_alone, t_through, c_alone, c_through, t_relay, c_relay = [], [], [], [], [], []
    for _ in range(rounds):
        for cmd, wall, cpu in ((alone, t_alone, c_alone), (through, t_through, c_through),
                               (relay, t_relay, c_relay)):
            before = cpu_of_children()
            wall.append(timed(cmd, env, 0))
            cpu.append(cpu_of_children() - before)
    ready = os.path.join(box, "output-written")
    cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    p = subprocess.Popen([hbrun, "-q", "--send-output", "1048576", "--", "sh", "-c",
                          '%s; : > "$1"; sleep 0.5' % gen, "job", ready],
                         env=env, stdout=cat.stdin)
    cat.stdin.close()
    wait_until(ready, 120)
    private = memory_of(p.pid)[0]
    p.wait(60)
    cat.wait(60)
    return (statistics.median(t_alone), statistics.median(t_through), private,
            statistics.median(c_alone), statistics.median(c_through),
            statistics.median(t_relay), statistics.median(c_relay))


def held_commands(hbrun, size):
    """The commands of section 9, by name: each writes SIZE bytes (or, held
    after a success, none) into a pipe read by wc -c, which prints how many
    it got."""
    gen = "head -c %d /dev/zero" % size
    return [
        ("alone", gen + " | wc -c", size),
        ("cat relay", gen + " | cat | wc -c", size),
        ("send-output", "%s -q --send-output 1048576 -- %s | wc -c" % (hbrun, gen), size),
        ("held, success", "%s -q --output-on-failure -- %s | wc -c" % (hbrun, gen), 0),
        ("held, failure", "%s -q --output-on-failure -- sh -c '%s; exit 1' | wc -c"
         % (hbrun, gen), size),
    ]


def held_throughput(hbrun, env, size, rounds):
    """Each command of held_commands() ROUNDS times, in turn: the medians of
    their wall and CPU seconds (all processes), by name."""
    cmds = held_commands(hbrun, size)
    walls = {name: [] for name, _, _ in cmds}
    cpus = {name: [] for name, _, _ in cmds}
    for i in range(rounds):
        for name, cmd, want in cmds[i % len(cmds):] + cmds[:i % len(cmds)]:
            before = cpu_of_children()
            t0 = time.perf_counter()
            out = subprocess.run(["sh", "-c", cmd], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, check=True).stdout
            walls[name].append(time.perf_counter() - t0)
            cpus[name].append(cpu_of_children() - before)
            if int(out) != want:
                raise SystemExit("bench: %s gave %d bytes, not %d" % (name, int(out), want))
    return ({n: statistics.median(v) for n, v in walls.items()},
            {n: statistics.median(v) for n, v in cpus.items()})


def held_memory(hbrun, env, box, size):
    """hbrun --output-on-failure's (private, RSS) KiB once its job has
    written SIZE bytes, all of them held, and the same after writing them
    back (the job's failure); its output read by cat."""
    ready = os.path.join(box, "held-written")
    cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    p = subprocess.Popen([hbrun, "-q", "--output-on-failure", "--", "sh", "-c",
                          'head -c %d /dev/zero; : > "$1"; sleep 0.5; exit 1' % size,
                          "job", ready], env=env, stdout=cat.stdin)
    cat.stdin.close()
    wait_until(ready, 120)
    held = memory_of(p.pid)
    # Its RSS high-water mark, read until it exits (the written-back output
    # included; a forked child's figures would count the bench's own pages
    # from before the exec).
    hwm = 0
    while p.poll() is None:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                hwm = max([hwm] + [int(l.split()[1]) for l in f if l.startswith("VmHWM:")])
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    cat.wait(60)
    if p.returncode != 1:
        raise SystemExit("bench: held job ended %d, not 1" % p.returncode)
    return held, hwm


def report_held(hbrun, env, box, quick):
    size = (64 if quick else 1024) * KIB * KIB
    walls, cpus = held_throughput(hbrun, env, size, 5 if quick else 9)
    gib = size / float(KIB ** 3)
    relay = walls["cat relay"]
    print("output-on-failure  %d MiB, medians; rate (MiB/s of the job's bytes), "
          "wall, CPU of all processes per GiB:" % (size // KIB // KIB))
    for name in walls:
        print("  %-14s %7.0f MiB/s  %s  CPU %s/GiB  (rate %.2f x the relay's, "
              "CPU %.2f x)" % (name, size / KIB / KIB / walls[name], ms(walls[name]),
                              ms(cpus[name] / gib), relay / walls[name],
                              cpus[name] / cpus["cat relay"]))
    (private, rss), maxrss = held_memory(hbrun, env, box, size)
    print("  hbrun held %d MiB: private %d KiB, RSS %d KiB; its largest RSS until "
          "it had written them back %d KiB" % (size // KIB // KIB, private, rss, maxrss))


def cpu_of_children():
    """User and system seconds of every finished child so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ms(seconds):
    return "%.2f ms" % (seconds * 1000)


def bench_metrics(hbrun, env, box, rounds, samples, valgrind):
    """--metrics-file: a waiting hbrun's memory with and without it (the
    file is written only after the job), and what a run with the file
    costs over one without (wall time, and instructions of every process
    under callgrind)."""
    path = os.path.join(box, "bench.prom")
    plain = [hbrun, "-q", "-j", "bench"]
    with_file = plain + ["--metrics-file", path]
    rows = []
    for name, words in (("without", plain), ("with", with_file)):
        rows.append(waiting_memory("metrics-" + name,
                                   lambda r, g, w=words: w + ["--"] + job_waiting(r, g),
                                   env, box, samples))
    print("metrics file     while job runs: hbrun private %d KiB without, %d KiB with; "
          "RSS %d KiB without, %d KiB with (largest %d, %d)"
          % (rows[0][0], rows[1][0], rows[0][1], rows[1][1], rows[0][2], rows[1][2]))
    tw, to, ratio = compare(with_file + ["--", "true"], plain + ["--", "true"], env,
                            rounds, 0)
    line = ("metrics file     a run of true: %s with, %s without, +%s (ratio %.2f)"
            % (ms(tw), ms(to), ms(tw - to), ratio))
    if valgrind:
        iw = instructions(valgrind, with_file + ["--", "true"], env, box, 0)
        io = instructions(valgrind, plain + ["--", "true"], env, box, 0)
        line += "; instructions %.0fk with, %.0fk without, +%.0fk" % (
            iw / 1e3, io / 1e3, (iw - io) / 1e3)
    print(line)


SCHEDULES = (("* * * * *", "UTC"), ("0 0 29 2 *", "UTC"),
             ("Mon..Fri 09:00; Sat,Sun 10:30; *-*-1 03:00; *-02~1 23:59:59; "
              "*-*-* *:0/20", "Europe/Berlin"))


def quiet_time(cmd, env, want=None):
    """Seconds CMD takes; its stdout must hold WANT."""
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if want and want not in p.stdout:
        raise SystemExit("bench: %s printed no %r: %s" % (cmd, want, p.stdout + p.stderr))
    return elapsed


def bench_schedule(hbrun, hbctl, api, env, box, rounds, samples):
    check = [hbrun, "--check", "-t", "bench-token", "--ping-url",
             api.url + "/heartbeats/{token}/ping"]
    # The fastest of the rounds: the machine's noise only ever adds.
    base = min(quiet_time(check + ["--", "true"], env) for _ in range(rounds))
    for expr, tz in SCHEDULES:
        with_gaps = min(
            quiet_time(check + ["--schedule", expr, "--tz", tz, "--", "true"], env,
                       "longest gap") for _ in range(rounds))
        line = "schedule gaps    %-28s hbrun --check %s (%s more than without a schedule)" % (
            expr[:28], ms(with_gaps), ms(with_gaps - base))
        if hbctl:
            nxt = min(
                quiet_time([hbctl, "next", expr, "--tz", tz, "--count", "1000"], env, ":")
                for _ in range(rounds))
            line += "; hbctl next --count 1000 %s" % ms(nxt)
        print(line)
    job = [hbrun, "-t", "bench-token", "--api-url", api.url]
    plain = waiting_memory("nosched", lambda r, g: job + ["--"] + job_waiting(r, g), env, box,
                           samples)
    sched = waiting_memory("sched", lambda r, g: job + ["--schedule", SCHEDULES[2][0],
                                                        "--tz", "Europe/Berlin", "--"]
                           + job_waiting(r, g), env, box, samples)
    print("schedule waiting hbrun private %d KiB with a schedule set, %d KiB without"
          % (sched[0], plain[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hbrun", default=os.environ.get("HBRUN", "build/src/hbrun/hbrun"))
    ap.add_argument("--hbctl", default=os.environ.get("HBCTL", "build/src/hbctl/hbctl"))
    ap.add_argument("--schedule-only", action="store_true",
                    help="only the schedule figures (9)")
    ap.add_argument("--quick", action="store_true",
                    help="few rounds: a smoke check, figures rough")
    ap.add_argument("--output-only", action="store_true",
                    help="only section 11, --output-on-failure")
    args = ap.parse_args()
    hbrun = os.path.abspath(args.hbrun)
    if args.output_only:
        box = tempfile.mkdtemp(prefix="hbrun-bench-")
        try:
            report_held(hbrun, clean_env(box), box, args.quick)
        finally:
            shutil.rmtree(box, ignore_errors=True)
        return 0
    rounds = 20 if args.quick else 200
    fast_rounds = 50 if args.quick else 1000
    samples = 5 if args.quick else 20
    waiters = 1000
    curl = shutil.which("curl")
    valgrind = shutil.which("valgrind.bin") or shutil.which("valgrind")

    box = tempfile.mkdtemp(prefix="hbrun-bench-")
    env = clean_env(box)
    try:
        # Before any thread: the FakeAPIs start theirs.
        tls, no_https = https_store(box) if curl else (None, "curl is not installed")
        with FakeAPI(backlog=512, max_requests=100000) as api:
            url = api.url + "/heartbeats/bench-token/ping"
            print("hbrun bench: %s, %d rounds, fake API at %s"
                  % (hbrun, rounds, api.base))
            hbctl = os.path.abspath(args.hbctl) if os.access(args.hbctl, os.X_OK) else None
            bench_schedule(hbrun, hbctl, api, env, box, 5 if args.quick else 20, samples)
            if args.schedule_only:
                return 0

            h_ok = [hbrun, "-t", "bench-token", "--api-url", api.url, "--", "true"]
            idiom = ["sh", "-c", "true && curl -fsS -m 10 --retry 5 -X POST "
                     "-o /dev/null " + url]
            if curl:
                th, tc, ratio = compare(h_ok, idiom, env, rounds, 0)
                print("success + ping   hbrun %s   curl idiom %s   ratio %.2f "
                      "(median of the rounds' ratios %.2f)"
                      % (ms(th), ms(tc), th / tc, ratio))
            else:
                print("success + ping   curl is not installed: idiom not measured")

            h_fail = [hbrun, "--", "false"]
            tf, tb, _ = compare(h_fail, ["false"], env, fast_rounds, 1)
            print("failed job       hbrun -- false %s   false %s   overhead %s"
                  % (ms(tf), ms(tb), ms(tf - tb)))

            if valgrind:
                ih = instructions(valgrind, h_ok, env, box, 0)
                line = "instructions     success + ping: hbrun %.2fM" % (ih / 1e6)
                if curl:
                    ic = instructions(valgrind, idiom, env, box, 0)
                    line += ", curl idiom %.2fM, ratio %.2f" % (ic / 1e6, ih / ic)
                i_f = instructions(valgrind, h_fail, env, box, 1)
                i_b = instructions(valgrind, ["false"], env, box, 1)
                print(line + ";   hbrun -- false %.0fk, false %.0fk"
                      % (i_f / 1e3, i_b / 1e3))
            else:
                print("instructions     valgrind is not installed: not counted")

            hp, hr, hmax, hprog = waiting_memory(
                "hbrun", lambda r, g: [hbrun, "-t", "bench-token", "--api-url", api.url,
                              "--"] + job_waiting(r, g), env, box, samples)
            sp, sr, smax, _ = waiting_memory(
                "sh", lambda r, g: ["sh", "-c", '"$@" && curl -fsS -m 10 -X POST '
                              '-o /dev/null ' + url, "sh"] + job_waiting(r, g),
                env, box, samples)
            print("while job runs   hbrun private %d KiB (%d KiB of them its own "
                  "program's pages, shared by every other hbrun), RSS %d KiB (largest "
                  "%d)   sh of the curl idiom: private %d KiB, RSS %d KiB (largest %d)"
                  % (hp, hprog, hr, hmax, sp, sr, smax))

            total = many_waiting(hbrun, env, box, waiters)
            print("%d waiting      private memory in all %.1f MiB (%.0f KiB each)"
                  % (waiters, total / KIB, total / waiters))

            start_url = ["--start-url", api.base + "/start", "--ping-url",
                         api.base + "/ok"]
            sp, sr, smax, _ = waiting_memory(
                "start", lambda r, g: [hbrun] + start_url + ["--"] + job_waiting(r, g),
                env, box, samples)
            print("with start URL   hbrun private %d KiB, RSS %d KiB (largest %d) "
                  "while its job runs" % (sp, sr, smax))
            bench_metrics(hbrun, env, box, fast_rounds, samples, valgrind)
            n_fw = 10 if args.quick else 50
            d0, m0 = forwarding_delay("plain", [hbrun, "-q"], env, box, n_fw)
            d1, m1 = forwarding_delay("start", [hbrun, "-q"] + start_url, env, box, n_fw)
            print("signal at start  reaches the job in %s (largest %s); with a start "
                  "request %s (largest %s)" % (ms(d0), ms(m0), ms(d1), ms(m1)))

            size = (64 if args.quick else 1024) * KIB * KIB
            ta, tt, priv, ca, ct, tr, cr = throughput(hbrun, env, box, size,
                                                      3 if args.quick else 9)
            print("send-output      %d MiB: alone %s, through hbrun %s (%.0f%% of "
                  "alone's rate), through cat %s (%.0f%%); CPU of all processes %s, "
                  "%s and %s; hbrun private %d KiB after copying it all"
                  % (size // KIB // KIB, ms(ta), ms(tt), 100 * ta / tt, ms(tr),
                     100 * ta / tr, ms(ca), ms(ct), ms(cr), priv))

            report_held(hbrun, env, box, args.quick)

            before = len(api.requests)
            n = 100
            t = burst(hbrun, env, api, n)
            got = len(api.requests) - before
            print("burst of %d     all done in %s, %d pings recorded"
                  % (n, ms(t), got))
            if got != n:
                raise SystemExit("bench: %d pings for %d jobs" % (got, n))
        if tls:
            bench_https(hbrun, env, box, tls, rounds, valgrind, args.quick)
        else:
            print("https            not measured: %s" % no_https)
    finally:
        shutil.rmtree(box, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
