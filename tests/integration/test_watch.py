"""The watcher is quiet: private mounts, bounded reads, one report per file.

Real loop disks and a real mount namespace; the watcher runs as a process
of its own, as under its unit.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

import pytest

from osconf.errors import ExitCode
from osconf.parse import MAX_BYTES
from tests.conftest import REPO, SAMPLES, make_root, run_osconf
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root

pytestmark = pytest.mark.integration

CONF = "aliyun_custom_image/os.conf"
BROKEN = (SAMPLES / "vpc.conf").read_bytes().replace(b"255.255.255.0", b"255.0.255.0")


def _watch_for(root: Path, label: str, seconds: float, until: str = "") -> List[str]:
    """Runs the watcher (0.2 s interval) until a log line contains `until`
    (at most 120 s: the lock may be another test's), then `seconds` more;
    returns its log lines."""
    watcher = subprocess.Popen(
        [sys.executable, "-m", "osconf", "watch", "--root", str(root), "--no-live",
         "--interval", "0.2", "--partition", f"LABEL={label}"],
        cwd=REPO, stderr=subprocess.PIPE, universal_newlines=True,
    )  # fmt: skip
    lines: List[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stderr.readline, "")))
    reader.start()
    deadline = time.monotonic() + 120
    while until and not any(until in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(seconds)
    watcher.terminate()
    watcher.wait(timeout=30)
    reader.join(timeout=30)
    return [line.rstrip() for line in lines if line.strip()]


def test_an_invalid_file_is_reported_once(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        label = f"OSCW{tmp_path.name[-6:]}".upper()[:16]
        disk.mkfs(1, "ext4", label)
        disk.put(1, CONF, BROKEN)
        # The boot run rejects it and records so ...
        boot = run_osconf(
            "apply", "--root", str(root), "--no-live", "--partition", f"LABEL={label}"
        )
        assert boot.returncode == ExitCode.INVALID_CONFIG, boot.stderr
        # ... so the watcher, looking ~15 times, says nothing about it.
        assert _watch_for(root, label, 3) == []
        # A different invalid file: reported once, however often it looks.
        disk.put(1, CONF, BROKEN + b"\nhostname=-bad-\n")
        lines = _watch_for(root, label, 3, until="netmask is not contiguous")
        assert len([line for line in lines if "netmask is not contiguous" in line]) == 1, lines
        assert disk.listing(1, "aliyun_custom_image") == ["os.conf"]
        assert not disk.mounted()


def test_a_missing_partition_is_reported_once(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    lines = _watch_for(root, "NO-SUCH-LABEL-X", 2, until="NO-SUCH-LABEL-X")
    assert len(lines) == 1 and "NO-SUCH-LABEL-X" in lines[0], lines


def test_reads_no_more_than_the_size_limit(tmp_path: Path) -> None:
    import osconf.fileio  # noqa: F401 - loaded before measuring: its import reads files too
    from osconf.locate import CONF_LIMIT, read_platform_conf

    folder = tmp_path / "aliyun_custom_image"
    folder.mkdir()
    big = folder / "os.conf"
    big.write_bytes(b"#" * (8 * MAX_BYTES))

    def read_so_far() -> int:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
        raise AssertionError("no rchar in /proc/self/io")

    fd = os.open(str(folder), os.O_RDONLY | os.O_DIRECTORY)
    before = read_so_far()
    try:
        assert len(read_platform_conf(fd, str(big), CONF_LIMIT) or b"") == MAX_BYTES + 1
    finally:
        os.close(fd)
    # /proc/self/io's own read counts too: a few hundred bytes.
    assert read_so_far() - before <= MAX_BYTES + 1 + 1024


def test_its_mounts_stay_in_its_own_namespace(tmp_path: Path) -> None:
    require_root()
    point = tmp_path / "point"
    point.mkdir()
    code = (
        "import subprocess, sys\n"
        "from osconf.watch import private_mounts\n"
        "private_mounts()\n"
        f"subprocess.run(['mount', '-t', 'tmpfs', 'none', {str(point)!r}], check=True)\n"
        "print(open('/proc/self/mountinfo').read().count(sys.argv[1]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(point)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1", "the mount was not made inside"
    assert str(point) not in Path("/proc/self/mountinfo").read_text()
    assert os.listdir(point) == []


def test_with_root_too_its_mounts_are_its_own(tmp_path: Path) -> None:
    """`watch --root IMAGE` still looks at the host's partition: its mounts
    go into a namespace of its own, so one left by a killed watcher dies
    with it instead of staying mounted on the host."""
    require_root()
    root = make_root(tmp_path / "root")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "osconf", "watch", "--root", str(root), "--no-live",
         "--interval", "0.2", "--partition", "LABEL=NO-SUCH-LABEL-Y"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ours = os.readlink("/proc/self/ns/mnt")
    try:
        theirs = ours
        deadline = time.monotonic() + 120  # a hang guard, not a measure
        while theirs == ours and watcher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            theirs = os.readlink(f"/proc/{watcher.pid}/ns/mnt")
        assert watcher.poll() is None, "the watcher ended"
        assert theirs != ours
    finally:
        watcher.kill()
        watcher.wait(timeout=30)
