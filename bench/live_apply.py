"""Benchmark of the live network step (run by hand, as root; not a test).

    .venv/bin/python bench/live_apply.py [--runs 15] [--python PATH ...]

0. Instructions (callgrind, the osconf process): the classic sample applied
   `--live` and `--no-live`, each in a fresh guest namespace, and pyroute2's
   import alone, for each `--python` (default: this one). The interpreter
   needs netaddr and pyroute2 importable.
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

from bench.callgrind import instructions  # noqa: E402
from tests.conftest import SAMPLES, make_root  # noqa: E402
from tests.helpers.livenet import Lab  # noqa: E402

MAC0 = "00:8c:fa:5e:14:23"
MAC1 = "00:8c:fa:5e:14:24"


def apply_argv(python: str, live: bool, root: Path) -> List[str]:
    argv = [python, "-m", "osconf", "-q", "apply", "--live" if live else "--no-live"]
    return argv + ["--root", str(root), "--conf", str(SAMPLES / "classic.conf")]


def counted(python: str) -> Tuple[int, int, int, str]:
    """Instructions of a live apply, the same apply `--no-live`, pyroute2's import; its version."""
    counts = []
    for live in (True, False):
        with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
            lab.add_nic("ens5", MAC0, "10.171.254.1/24")
            lab.add_nic("ens6", MAC1, "42.120.74.1/24")
            root = make_root(Path(tmp) / "root")
            prefix = ["ip", "netns", "exec", lab.guest.name]
            counts.append(instructions(apply_argv(python, live, root), prefix, cwd=str(REPO)))
    floor = instructions([python, "-c", "pass"])
    counts.append(instructions([python, "-c", "import pyroute2"]) - floor)
    version = subprocess.run(
        [python, "-c", "import sys, pyroute2; print(sys.version.split()[0], "
         "getattr(pyroute2, '__version__', '0.5.x (no __version__)'))"],
        stdout=subprocess.PIPE, universal_newlines=True, check=True,
    ).stdout.strip()  # fmt: skip
    return counts[0], counts[1], counts[2], version


def whole_process(runs: int, live: bool = True) -> List[float]:
    times = []
    for _ in range(runs):
        with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
            lab.add_nic("ens5", MAC0, "10.171.254.1/24")
            lab.add_nic("ens6", MAC1, "42.120.74.1/24")
            root = make_root(Path(tmp) / "root")
            argv = ["ip", "netns", "exec", lab.guest.name]
            argv += apply_argv(sys.executable, live, root)
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
    parser.add_argument("--python", action="append", default=[])
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark creates network namespaces")
    for python in args.python or [sys.executable]:
        live, offline, pyroute2, version = counted(python)
        print(
            f"{version}: --live {live / 1e6:.1f} M instructions, --no-live "
            f"{offline / 1e6:.1f} M, live / no-live {live / offline:.2f} x; "
            f"pyroute2's import alone {pyroute2 / 1e6:.1f} M ({pyroute2 / offline:.2f} x no-live)"
        )
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
