#!/usr/bin/env python3
"""Offline apply against OpenStack glean `--noop`: instructions and paired CPU.

The classic sample (samples/classic.conf: host name, two NICs with routes,
DNS) is given to glean as what it reads, a config drive
(ROOT/mnt/config/openstack/latest/{meta_data,network_data}.json) plus
ROOT/sys/class/net/{eth0,eth1}; glean renders the ifupdown files and prints
them (`--noop --hostname --distro debian --root ROOT`). osconf applies the
same settings, and the root password, to a fresh copy of samples/root:
`apply --root R --conf samples/classic.conf` (validation, plan, six atomic
fsynced writes with backups). Both are called as `main()` from `python -c`,
so neither pays for a console-script wrapper or runpy.

Both run from compiled bytecode, as installed packages do (pip compiled
glean's; the warm-up run writes osconf's): PYTHONDONTWRITEBYTECODE is
dropped from the children's environment, else osconf would be compiled
from source at every run and glean not.

Instructions: the python process (callgrind; glean's `systemctl` child not
traced). CPU: user + system time of the process and its children, glean and
osconf run alternately --runs times each; the ratio of the medians.

Usage: bench/offline.py --python PY [--python PY ...] [--runs N]
Each PY must be able to import glean (pip install glean into a bench venv).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLEAN = (
    "import sys; from glean.cmd import main; sys.argv = ['glean', '--noop', '--hostname', "
    "'--distro', 'debian', '--root', {root!r}]; main()"
)
OSCONF = (
    "import sys; sys.path.insert(0, {repo!r}); from osconf.cli import main; "
    "sys.exit(main(['apply', '--root', {root!r}, '--conf', {conf!r}]))"
)
NICS = (("eth0", "00:8c:fa:5e:14:23"), ("eth1", "00:8c:fa:5e:14:24"))


def glean_root(root):
    """samples/classic.conf as a config drive and a sysfs glean reads."""
    drive = os.path.join(root, "mnt/config/openstack/latest")
    os.makedirs(drive)
    with open(os.path.join(drive, "meta_data.json"), "w") as handle:
        json.dump({"uuid": "bench", "hostname": "iZ23r29djmjZ", "name": "iZ23r29djmjZ"}, handle)
    gw0, gw1 = "10.171.254.1", "42.120.74.1"
    network = {
        "links": [{"id": n, "type": "phy", "ethernet_mac_address": m} for n, m in NICS],
        "networks": [
            {"id": "n0", "link": "eth0", "type": "ipv4", "ip_address": "10.171.254.123",
             "netmask": "255.255.255.0",
             "routes": [{"network": "10.0.0.0", "netmask": "255.0.0.0", "gateway": gw0},
                        {"network": "172.16.0.0", "netmask": "255.240.0.0", "gateway": gw0}]},
            {"id": "n1", "link": "eth1", "type": "ipv4", "ip_address": "42.120.74.105",
             "netmask": "255.255.255.0",
             "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": gw1}]},
        ],
        "services": [{"type": "dns", "address": "7.7.7.7"}, {"type": "dns", "address": "8.8.8.8"}],
    }  # fmt: skip
    with open(os.path.join(drive, "network_data.json"), "w") as handle:
        json.dump(network, handle)
    for name, mac in NICS:
        base = os.path.join(root, "sys/class/net", name)
        os.makedirs(base)
        for attribute, value in (("addr_assign_type", "0"), ("address", mac), ("carrier", "1")):
            with open(os.path.join(base, attribute), "w") as handle:
                handle.write(value + "\n")
    os.makedirs(os.path.join(root, "etc/network"))


def fresh(root):
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "samples/root"), root, symlinks=True)


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def instructions(argv):
    out = tempfile.mktemp(prefix="callgrind-")
    try:
        valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
        subprocess.run(valgrind + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, env=ENV)  # fmt: skip
        with open(out) as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("summary:"))
    finally:
        if os.path.exists(out):
            os.unlink(out)


def cpu(argv):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{argv}: status {status}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", required=True)
    parser.add_argument("--runs", type=int, default=20)
    opts = parser.parse_args()
    work = tempfile.mkdtemp(prefix="osconf-bench-offline-")
    try:
        glean_dir, osconf_dir = os.path.join(work, "glean"), os.path.join(work, "osconf")
        glean_root(glean_dir)
        conf = os.path.join(REPO, "samples/classic.conf")
        for python in opts.python:
            glean = [python, "-c", GLEAN.format(root=glean_dir)]
            osconf = [python, "-c", OSCONF.format(repo=REPO, root=osconf_dir, conf=conf)]
            fresh(osconf_dir)
            cpu(glean), cpu(osconf)  # bytecode written, caches warm
            fresh(osconf_dir)
            counts = instructions(glean), instructions(osconf)
            times = ([], [])
            for _ in range(opts.runs):
                fresh(osconf_dir)
                times[0].append(cpu(glean))
                times[1].append(cpu(osconf))
            medians = [statistics.median(t) for t in times]
            print(f"{python}: glean --noop {counts[0]:,} instructions, {medians[0]:.0f} ms CPU; "
                  f"osconf apply {counts[1]:,}, {medians[1]:.0f} ms; osconf / glean "
                  f"{counts[1] / counts[0]:.2f} x instructions, "
                  f"{medians[1] / medians[0]:.2f} x CPU")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
