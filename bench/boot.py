#!/usr/bin/env python3
"""The boot path's cost: instructions (callgrind), peak RSS and wall time.

Compares, with the same interpreter:

    python -c pass          the floor (also with -I, as the unit runs it)
    boot, no os.conf        what osconf.service runs: python -I -c
                            "import osconf.service as s; s.boot()", the first
                            partition mounted (as /boot or / usually is)
    boot, disabled          /etc/osconf/disabled present
    boot, not mounted       no os.conf, the partition not mounted: handed
                            over to the full pipeline, which mounts it
    osconf apply (old)      the previous ExecStart, `python -m osconf apply`

Each case runs in a private mount namespace made for it: a loop disk whose
partition 1 (ext4) is the first partition, found by the UUID recorded in
an /etc/osconf.conf laid over /etc, and tmpfs on /run and /var/lib, so the
host's lock and state are never touched. Instruction counts are the python
process's (valgrind --tool=callgrind, children not traced); wall time is
the median of --runs runs and RSS their maximum (wait4's rusage).

Usage (root): bench/boot.py [--runs N] [--python PATH ...]
Default interpreters: /usr/bin/python3 and .venv/bin/python.
Not part of the test suite: timings depend on the machine.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.helpers.loopdisk import LoopDisk  # noqa: E402

BOOT = "import sys; sys.path.insert(0, {repo!r}); import osconf.service as s; s.boot()"
OLD = (
    "import sys, runpy; sys.path.insert(0, {repo!r}); sys.argv = ['osconf', 'apply']; "
    "runpy.run_module('osconf', run_name='__main__')"
)
# The namespace: the partition mounted (or not), /etc/osconf.conf, private /run and /var/lib.
SETUP = """set -e
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
mount -t overlay overlay -o lowerdir={etc}:/etc /etc
if [ {mounted} = 1 ]; then mount {node} {mnt}; fi
exec "$@"
"""


def instructions(argv, prefix):
    out = tempfile.mktemp(prefix="callgrind-", dir="/tmp")
    try:
        result = subprocess.run(
            prefix + ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"exit {result.returncode}: {result.stderr[-2000:]}")
        with open(out) as handle:
            for line in handle:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    finally:
        if os.path.exists(out):
            os.unlink(out)
    raise RuntimeError("no callgrind summary")


def timed(argv, prefix, runs):
    walls, rss = [], []
    for index in range(runs + 2):
        start = time.perf_counter()
        proc = subprocess.Popen(prefix + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"{argv}: status {status}")
        if index >= 2:  # the first runs warm the caches
            walls.append(wall * 1000)
            rss.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), max(rss)


def namespace(work, disk, etc, mounted):
    script = os.path.join(work, f"ns-{int(mounted)}.sh")
    with open(script, "w") as handle:
        handle.write(
            SETUP.format(
                etc=etc, mounted=int(mounted), node=disk.node(1), mnt=os.path.join(work, "mnt")
            )
        )
    # The RSS and time of the setup shell are not counted: it execs the command,
    # and wait4 reports the peak of the process, which is the command's.
    return ["unshare", "--mount", "--propagation", "private", "sh", script]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", action="append")
    opts = parser.parse_args()
    pythons = opts.python or ["/usr/bin/python3", os.path.join(REPO, ".venv/bin/python")]
    work = tempfile.mkdtemp(prefix="osconf-bench-boot-")
    os.mkdir(os.path.join(work, "mnt"))
    etc = os.path.join(work, "etc")
    os.makedirs(os.path.join(etc, "osconf"))
    try:
        with LoopDisk(__import__("pathlib").Path(work)) as disk:
            subprocess.run(["mkfs.ext4", "-q", "-L", "OSCBENCH", disk.node(1)], check=True)
            uuid = subprocess.run(["blkid", "-o", "value", "-s", "UUID", disk.node(1)],
                                  stdout=subprocess.PIPE, universal_newlines=True,
                                  check=True).stdout.strip()  # fmt: skip
            with open(os.path.join(etc, "osconf.conf"), "w") as handle:
                handle.write(f"# written by bench/boot.py\npartition=UUID={uuid}\n")
            for python in pythons:
                report(python, work, disk, etc, opts.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(python, work, disk, etc, runs):
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
    ).stdout.strip()
    print(f"python {version} ({python}), {runs} runs for wall times")
    mounted, unmounted = namespace(work, disk, etc, True), namespace(work, disk, etc, False)
    disabled = os.path.join(etc, "osconf", "disabled")
    cases = [
        ("python -c pass", [python, "-c", "pass"], mounted, False),
        ("python -I -c pass", [python, "-I", "-c", "pass"], mounted, False),
        ("boot, no os.conf", [python, "-I", "-c", BOOT.format(repo=REPO)], mounted, False),
        ("boot, disabled", [python, "-I", "-c", BOOT.format(repo=REPO)], mounted, True),
        ("boot, not mounted", [python, "-I", "-c", BOOT.format(repo=REPO)], unmounted, False),
        ("osconf apply (old)", [python, "-I", "-c", OLD.format(repo=REPO)], mounted, False),
    ]
    floor = None
    print("{:<20} {:>14} {:>7} {:>10} {:>9} {:>7}".format(
        "case", "instructions", "× pass", "median ms", "RSS MiB", "× pass"))  # fmt: skip
    for name, argv, prefix, off in cases:
        if off:
            open(disabled, "w").close()
        try:
            count = instructions(argv, prefix)
            wall, rss = timed(argv, prefix, runs)
        finally:
            if off:
                os.unlink(disabled)
        if floor is None:
            floor = (count, rss)
        ratio, rss_ratio = count / floor[0], rss / floor[1]
        print(f"{name:<20} {count:>14,} {ratio:>7.2f} {wall:>10.1f} {rss:>9.1f} {rss_ratio:>7.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
