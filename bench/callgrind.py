"""Instructions of one process under valgrind's callgrind (children not traced).

Shared by the benchmarks: instruction counts repeat to within ~1 % on a busy
machine where wall times drift by 2 ×.
"""

import os
import subprocess
import tempfile
from typing import Optional, Sequence


def instructions(argv: Sequence[str], prefix: Sequence[str] = (), cwd: Optional[str] = None) -> int:
    """Instructions executed by `argv` (run behind `prefix`, e.g. `ip netns exec NS`)."""
    fd, out = tempfile.mkstemp(prefix="callgrind-", dir="/tmp")
    os.close(fd)
    try:
        result = subprocess.run(
            [*prefix, "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            cwd=cwd,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[:3]}: exit {result.returncode}: {result.stderr[-2000:]}")
        with open(out) as handle:
            for line in handle:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    finally:
        os.unlink(out)
    raise RuntimeError("no callgrind summary")
