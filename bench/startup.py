#!/usr/bin/env python3
"""Whole-process cost of osconf's offline commands: median wall time, peak RSS.

Runs each command as a fresh process, many times, beside `python -c pass`
with the same interpreter, and prints median / min wall time (ms) and the
peak resident set size (MiB, from wait4's rusage of that very child):

    offline apply   osconf apply --root R --conf samples/classic.conf
                    (R a fresh copy of samples/root for every run)
    plan            osconf plan  --root R --conf samples/classic.conf
    validate        osconf validate samples/classic.conf

Usage: bench/startup.py [--runs N] [--python PATH]
With a virtualenv python (default: .venv/bin/python if present) osconf is
imported from the checkout; `--python /usr/bin/python3` measures Debian's
interpreter and packages (python3-netaddr), the way images install it.
Also reports which heavy modules each command imported (pyroute2 must not be).
Not part of the test suite: timings depend on the machine.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples/classic.conf"
SAMPLE_ROOT = REPO / "samples/root"
WATCHED = ("pyroute2", "netaddr", "dataclasses", "logging", "argparse", "subprocess", "hashlib")
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.__stderr__.write('MODULES ' + ' '.join("
    "m for m in {watched!r} if m in sys.modules) + '\\n'))\n"
    "import runpy; sys.argv = ['osconf'] + sys.argv[1:]\n"
    "runpy.run_module('osconf', run_name='__main__', alter_sys=True)\n"
)


def run_once(argv: List[str], env: Dict[str, str]) -> Tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def modules_of(python: str, args: List[str], env: Dict[str, str]) -> str:
    probe = PROBE.format(watched=WATCHED)
    result = subprocess.run(
        [python, "-c", probe, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=env,
        cwd=REPO,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("MODULES")]
    return lines[-1][len("MODULES ") :] if lines else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    default = REPO / ".venv/bin/python"
    parser.add_argument("--python", default=str(default) if default.exists() else sys.executable)
    opts = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
    env["PYTHONPATH"] = str(REPO)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    scratch = Path(tempfile.mkdtemp(prefix="osconf-bench-"))
    root = scratch / "root"
    version = subprocess.run(
        [opts.python, "-c", "import sys; print(sys.version.split()[0])"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    ).stdout.strip()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    print(f"python {version} ({opts.python}); {os.cpu_count()} CPUs, {cpu}; {opts.runs} runs each")
    cases = {
        "python -c pass": ([opts.python, "-c", "pass"], None),
        "offline apply": (
            ["apply", "--root", str(root), "--conf", str(SAMPLE)],
            "fresh",
        ),
        "plan": (["plan", "--root", str(root), "--conf", str(SAMPLE)], "keep"),
        "validate": (["validate", str(SAMPLE)], "keep"),
    }
    print(f"{'command':<16} {'median ms':>10} {'min ms':>8} {'peak RSS MiB':>13}  modules")
    try:
        for name, (args, setup) in cases.items():
            argv = args if setup is None else [opts.python, "-m", "osconf", *args]
            walls, rss = [], []
            for index in range(opts.runs + 2):
                if setup == "fresh" or (setup == "keep" and not root.exists()):
                    shutil.rmtree(root, ignore_errors=True)
                    shutil.copytree(SAMPLE_ROOT, root, symlinks=True)
                wall, peak, code = run_once(argv, env)
                if code != 0:
                    print(f"{name}: exit status {code}", file=sys.stderr)
                    return 1
                if index >= 2:  # the first runs warm the page and bytecode caches
                    walls.append(wall * 1000)
                    rss.append(peak)
            modules = "" if setup is None else modules_of(opts.python, args, env)
            print(
                f"{name:<16} {statistics.median(walls):>10.1f} {min(walls):>8.1f}"
                f" {max(rss):>13.1f}  {modules}"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
