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
host's lock and state are never touched. /etc/ssh has host keys and
/var/lib/osconf their record, as on an instance that has booted before
(without them the boot hands over to the full run, which makes the keys:
osconf.sshkeys). Instruction counts are the python
process's (valgrind --tool=callgrind, children not traced, bytecode already
written); wall time is the median of --runs runs and RSS their maximum
(GNU time's %M; the times include starting `nsenter` and `time`).

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

from pathlib import Path  # noqa: E402

from bench.callgrind import instructions  # noqa: E402
from tests.helpers.loopdisk import LoopDisk  # noqa: E402

BOOT = "import sys; sys.path.insert(0, {repo!r}); import osconf.service as s; s.boot()"
OLD = (
    "import sys, runpy; sys.path.insert(0, {repo!r}); sys.argv = ['osconf', 'apply']; "
    "runpy.run_module('osconf', run_name='__main__')"
)
# A namespace: the partition mounted (or not), /etc/osconf.conf (and /etc/osconf/disabled)
# laid over /etc, private /run and /var/lib; kept open by a sleeping process.
SETUP = """set -e
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
mkdir -m 0700 /var/lib/osconf
echo '{{}}' > /var/lib/osconf/ssh-host-keys.json
mount -t overlay overlay -o lowerdir={etc}:/etc /etc
if [ {mounted} = 1 ]; then mount {node} {mnt}; fi
echo ready
exec sleep 3600
"""


def timed(argv, prefix, runs):
    """Median wall ms and peak RSS MiB. The RSS comes from GNU time, whose
    child starts small: a child forked from this benchmark would inherit
    its high-water mark."""
    walls, rss = [], []
    report = tempfile.mktemp(prefix="rss-", dir="/tmp")
    try:
        for index in range(runs + 2):
            start = time.perf_counter()
            status = subprocess.call(
                prefix + ["/usr/bin/time", "-f", "%M", "-o", report] + argv,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wall = time.perf_counter() - start
            if status != 0:
                raise RuntimeError(f"{argv}: status {status}")
            if index >= 2:  # the first runs warm the caches (and write the bytecode)
                walls.append(wall * 1000)
                with open(report) as handle:
                    rss.append(int(handle.read().split()[-1]) / 1024)
    finally:
        if os.path.exists(report):
            os.unlink(report)
    return statistics.median(walls), max(rss)


class Namespace:
    """A private mount namespace set up by SETUP; `prefix` runs a command in it
    (nsenter execs it: wait4's peak RSS is the command's)."""

    def __init__(self, work, disk, etc, mounted):
        script = SETUP.format(etc=etc, mounted=int(mounted), node=disk.node(1),
                              mnt=os.path.join(work, "mnt"))  # fmt: skip
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.PIPE, universal_newlines=True,
        )  # fmt: skip
        if self.holder.stdout is None or self.holder.stdout.readline() != "ready\n":
            raise RuntimeError("the namespace could not be set up")
        self.prefix = ["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt", "--"]

    def close(self):
        self.holder.terminate()
        self.holder.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", action="append")
    opts = parser.parse_args()
    pythons = opts.python or ["/usr/bin/python3", os.path.join(REPO, ".venv/bin/python")]
    work = tempfile.mkdtemp(prefix="osconf-bench-boot-")
    os.mkdir(os.path.join(work, "mnt"))
    etc_on, etc_off = os.path.join(work, "etc"), os.path.join(work, "etc-off")
    os.mkdir(etc_on)
    os.mkdir(etc_off)
    try:
        with LoopDisk(Path(work)) as disk:
            subprocess.run(["mkfs.ext4", "-q", "-L", "OSCBENCH", disk.node(1)], check=True)
            uuid = subprocess.run(["blkid", "-o", "value", "-s", "UUID", disk.node(1)],
                                  stdout=subprocess.PIPE, universal_newlines=True,
                                  check=True).stdout.strip()  # fmt: skip
            for etc in (etc_on, etc_off):
                with open(os.path.join(etc, "osconf.conf"), "w") as handle:
                    handle.write(f"# written by bench/boot.py\npartition=UUID={uuid}\n")
            for etc in (etc_on, etc_off):  # an instance's host keys, made at its first boot
                os.makedirs(os.path.join(etc, "ssh"))
                for kind in ("rsa", "ecdsa", "ed25519"):
                    for suffix in ("", ".pub"):
                        key = os.path.join(etc, "ssh", f"ssh_host_{kind}_key{suffix}")
                        open(key, "w").close()
            os.makedirs(os.path.join(etc_off, "osconf"))
            open(os.path.join(etc_off, "osconf/disabled"), "w").close()
            # Made for each case and closed after it: a partition mounted
            # read-write in one namespace cannot be mounted read-only in another.
            spaces = {
                "mounted": (etc_on, True),
                "unmounted": (etc_on, False),
                "disabled": (etc_off, True),
            }
            for python in pythons:
                report(python, work, disk, spaces, opts.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(python, work, disk, spaces, runs):
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
    ).stdout.strip()
    print(f"python {version} ({python}), {runs} runs for wall times")
    boot = [python, "-I", "-c", BOOT.format(repo=REPO)]
    cases = [
        ("python -c pass", [python, "-c", "pass"], "mounted"),
        ("python -I -c pass", [python, "-I", "-c", "pass"], "mounted"),
        ("boot, no os.conf", boot, "mounted"),
        ("boot, disabled", boot, "disabled"),
        ("boot, not mounted", boot, "unmounted"),
        ("osconf apply (old)", [python, "-I", "-c", OLD.format(repo=REPO)], "mounted"),
    ]
    floor = None
    head = ("case", "instructions", "× pass", "median ms", "RSS MiB", "× pass")
    print("{:<20} {:>14} {:>7} {:>10} {:>8} {:>7}".format(*head))
    for name, argv, space in cases:
        namespace = Namespace(work, disk, *spaces[space])
        try:
            wall, rss = timed(argv, namespace.prefix, runs)  # first: it writes the bytecode
            count = instructions(argv, namespace.prefix)
        finally:
            namespace.close()
        if floor is None:
            floor = (count, rss)
        ratio, rss_ratio = count / floor[0], rss / floor[1]
        print(f"{name:<20} {count:>14,} {ratio:>7.2f} {wall:>10.1f} {rss:>8.1f} {rss_ratio:>7.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
