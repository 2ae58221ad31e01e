"""Ending a server or daemon a test started: a polite signal first, KILL
after a grace period."""

import signal
import subprocess


def stop(proc, grace, sig=signal.SIGTERM):
    """Send SIG to PROC (a Popen) if it still runs, wait GRACE seconds for
    it, then KILL it; it is reaped either way."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
