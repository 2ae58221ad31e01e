"""Whether this machine lets the tests make Linux namespaces with unshare(1).

They need root (as in CI) and a kernel and container that allow them; where
they cannot be made, the tests that need them skip with a reason.
"""

import os
import shutil
import subprocess

# A PID namespace whose first process is PID 1, with its own /proc.
PID_NS = ["unshare", "--pid", "--fork", "--mount-proc"]


def can_unshare(*kinds):
    """Whether `unshare KINDS` works here (kinds such as "--mount", "--net";
    with "--pid", the PID namespace of PID_NS, its first process PID 1)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    if "--pid" in kinds:
        argv = PID_NS + ["sh", "-c", 'test "$$" = 1']
    else:
        argv = ["unshare"] + list(kinds) + ["true"]
    try:
        p = subprocess.run(argv, timeout=20, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0
