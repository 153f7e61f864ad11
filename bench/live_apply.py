"""Benchmark of the live network step (run by hand, as root; not a test).

    .venv/bin/python bench/live_apply.py [--runs 15]

1. The whole `osconf apply --live` process for the classic sample, in a
   fresh guest namespace each run (so every run really configures two NICs),
   pyroute2's import included: median and spread of N runs; then the same
   with `--no-live` (files only), to show what the live step adds.
2. Route scaling: one NIC with 1, 10, 100 and 1,000 routes, timing only the
   live actions in-process (one apply on a fresh NIC, then the no-change
   re-apply). os.conf lines are capped at 8 KiB, so the routes are built as
   values here rather than parsed from a file.

Everything happens inside namespaces made here; the sample addresses never
reach the host's namespace.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import SAMPLES, make_root  # noqa: E402
from tests.helpers.livenet import Lab  # noqa: E402

MAC0 = "00:8c:fa:5e:14:23"
MAC1 = "00:8c:fa:5e:14:24"


def whole_process(runs: int, live: bool = True) -> List[float]:
    times = []
    for _ in range(runs):
        with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
            lab.add_nic("ens5", MAC0, "10.171.254.1/24")
            lab.add_nic("ens6", MAC1, "42.120.74.1/24")
            root = make_root(Path(tmp) / "root")
            argv = ["ip", "netns", "exec", lab.guest.name, sys.executable, "-m", "osconf"]
            argv += ["-q", "apply", "--live" if live else "--no-live", "--root", str(root)]
            argv += ["--conf", str(SAMPLES / "classic.conf")]
            start = time.perf_counter()
            subprocess.run(argv, check=True, cwd=REPO)
            times.append(time.perf_counter() - start)
    return times


_SCALING_CHILD = """
import sys, time
from osconf.live import live_actions
from osconf.model import Nic, OsConf, Route
from osconf.plan import Options
from osconf.system import System

count = int(sys.argv[1])
routes = tuple(Route(f"10.{i // 256}.{i % 256}.0/24", "10.171.254.1") for i in range(count))
nic = Nic("eth0", 0, "00:8c:fa:5e:14:23", "10.171.254.123", 24, "10.171.254.1", routes)
conf = OsConf(nics=(nic,))
system = System(sys.argv[2])
system.netlink()  # pyroute2 import and socket: measured in part 1, not here
for label in ("apply", "again"):
    start = time.perf_counter()
    for action in live_actions(conf, system, Options(live=True)):
        action.execute(system)
    print(label, time.perf_counter() - start)
"""


def scaling(counts: List[int]) -> List[Tuple[int, float, float]]:
    out = []
    for count in counts:
        with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
            lab.add_nic("ens5", MAC0, "10.171.254.1/24")
            result = lab.guest.run(
                [sys.executable, "-c", _SCALING_CHILD, str(count), tmp], cwd=REPO
            )
            times = dict(line.split() for line in result.stdout.splitlines())
            out.append((count, float(times["apply"]), float(times["again"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark creates network namespaces")
    for live in (True, False):
        times = whole_process(args.runs, live)
        print(
            f"classic sample, whole process, {'--live' if live else '--no-live'}, "
            f"{len(times)} runs: median {statistics.median(times) * 1000:.0f} ms, "
            f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
        )
    print("routes   first apply   re-apply (no change)")
    for count, first, again in scaling([1, 10, 100, 1000]):
        print(f"{count:>6}   {first * 1000:>8.1f} ms   {again * 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
