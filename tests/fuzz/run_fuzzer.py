"""Run one libFuzzer target for a bounded time, as CI does.

    run_fuzzer.py FUZZER TARGET SOURCE_DIR BUILD_DIR

FUZZ_SECONDS (default 60) bounds the run.  libFuzzer first runs every seed
(SOURCE_DIR/corpus/TARGET) and every kept crash (SOURCE_DIR/regressions/
TARGET), then mutates.  New inputs go to BUILD_DIR/corpus/TARGET, never into
the source tree; a crashing input goes to BUILD_DIR/artifacts/TARGET/ and
fails the test: fix the bug, then add the input to regressions/TARGET.
SOURCE_DIR/TARGET.dict, if there, is the mutation dictionary.

The last line says what the run did:
    fuzz TARGET: N runs in S s (R/s), cov C, ft F, corpus K, peak RSS M MB
"""

import os
import re
import subprocess
import sys
import time


def main(fuzzer, target, srcdir, builddir):
    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    work = os.path.join(builddir, "corpus", target)
    artifacts = os.path.join(builddir, "artifacts", target)
    os.makedirs(work, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    for old in os.listdir(artifacts):  # a previous run's findings
        os.unlink(os.path.join(artifacts, old))
    args = [fuzzer, "-max_total_time=%d" % seconds, "-print_final_stats=1",
            "-timeout=20", "-close_fd_mask=3", "-max_len=8192",
            "-artifact_prefix=" + artifacts + "/", work]
    for extra in ("corpus", "regressions"):
        d = os.path.join(srcdir, extra, target)
        if os.path.isdir(d):
            args.append(d)
    dictionary = os.path.join(srcdir, target + ".dict")
    if os.path.exists(dictionary):
        args.insert(1, "-dict=" + dictionary)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    print(" ".join(args), flush=True)
    start = time.monotonic()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", env=env)
    took = time.monotonic() - start
    out = p.stdout
    sys.stdout.write(out[-20000:])
    stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", out, re.M))
    last = re.findall(r"#(\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (\d+) ft: (\d+) corp: (\d+)",
                      out)
    runs = int(stats.get("number_of_executed_units", last[-1][0] if last else 0))
    cov, ft, corp = last[-1][1:] if last else ("?", "?", "?")
    rate = stats.get("average_exec_per_sec", "?")
    print("fuzz %s: %d runs in %.0f s (%s/s), cov %s, ft %s, corpus %s, "
          "peak RSS %s MB" % (target, runs, took, rate, cov, ft, corp,
                              stats.get("peak_rss_mb", "?")))
    crashes = [f for f in os.listdir(artifacts) if not f.startswith(".")]
    if p.returncode != 0 or crashes:
        print("fuzz %s: FAILED (exit %d); inputs kept in %s: %s"
              % (target, p.returncode, artifacts, " ".join(sorted(crashes))))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
