"""The first partition on real loop disks: found, mounted, os.conf consumed."""

import os
import subprocess
from pathlib import Path

import pytest

from osconf.errors import ExitCode
from tests.conftest import SAMPLES, make_root, run_osconf
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration
CONF = "aliyun_custom_image/os.conf"


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_root()
    for tool, package in (
        ("sfdisk", "fdisk"),
        ("partx", "util-linux"),
        ("mkfs.ext4", "e2fsprogs"),
        ("mkfs.vfat", "dosfstools"),
        ("mdir", "mtools"),
    ):
        require_tool(tool, package=package)


def _state(root: Path) -> str:
    return (root / "var/lib/osconf/state.json").read_text()


@pytest.mark.parametrize("table", ["gpt", "dos"])
@pytest.mark.parametrize("fstype", ["ext4", "ext2"])
def test_apply_from_a_labelled_partition(tmp_path: Path, table: str, fstype: str) -> None:
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path, table) as disk:
        label = f"OSC{table[:1]}{fstype[-1]}{tmp_path.name[-4:]}".upper()[:16]
        disk.mkfs(1, fstype, label)
        disk.put(1, CONF, (SAMPLES / "classic.conf").read_bytes())
        result = run_osconf(
            "apply", "--root", str(root), "--no-live", "--partition", f"LABEL={label}"
        )
        assert result.returncode == 0, result.stderr
        assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"
        assert not disk.mounted(), "osconf left its mount behind"
        assert disk.listing(1, "aliyun_custom_image") == [], "os.conf must be gone, folder kept"
        assert '"outcome": "applied"' in _state(root)
        # Nothing left: a second boot finds no file and does nothing.
        again = run_osconf(
            "apply", "--root", str(root), "--no-live", "--partition", f"LABEL={label}"
        )
        assert again.returncode == 0 and '"outcome": "absent"' in _state(root)


def test_invalid_file_is_kept(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCBAD")
        disk.put(1, CONF, (SAMPLES / "broken.conf").read_bytes())
        uuid = subprocess.run(
            ["blkid", "-s", "UUID", "-o", "value", disk.node(1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        ).stdout.strip()
        result = run_osconf(
            "apply", "--root", str(root), "--no-live", "--partition", f"UUID={uuid}"
        )
        assert result.returncode == ExitCode.INVALID_CONFIG
        assert "hostname:" in result.stderr and "nothing was changed" in result.stderr
        assert disk.listing(1, "aliyun_custom_image") == ["os.conf"]
        assert not disk.mounted()
        assert '"outcome": "invalid"' in _state(root)
        assert (root / "etc/hostname").read_text() == "debian\n"


def test_partition_given_by_path_and_already_mounted(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", None)
        disk.put(1, CONF, (SAMPLES / "vpc.conf").read_bytes())
        point = tmp_path / "boot"
        point.mkdir()
        subprocess.run(["mount", disk.node(1), str(point)], check=True)
        try:
            result = run_osconf(
                "apply", "--root", str(root), "--no-live", "--partition", disk.node(1)
            )
            assert result.returncode == 0, result.stderr
            # The existing mount was used, and it is still there afterwards.
            assert (point / "aliyun_custom_image").is_dir()
            assert not (point / CONF).exists()
        finally:
            subprocess.run(["umount", str(point)], check=True)


def test_vfat_partition_is_found_but_this_kernel_cannot_mount_it(tmp_path: Path) -> None:
    # The host kernel has no vfat: osconf must say so and keep the file.
    # (Mounting FAT for real is covered by the QEMU tier.)
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "vfat", "OSCFAT")
        node = disk.mtools_image(1)
        subprocess.run(["mmd", "-i", node, "::aliyun_custom_image"], check=True)
        subprocess.run(
            ["mcopy", "-i", node, str(SAMPLES / "vpc.conf"), "::aliyun_custom_image/os.conf"],
            check=True,
        )
        located = run_osconf("locate", "--partition", "LABEL=OSCFAT")
        assert "file system: vfat LABEL=OSCFAT" in located.stdout or "vfat" in located.stderr
        result = run_osconf(
            "apply", "--root", str(root), "--no-live", "--partition", "LABEL=OSCFAT"
        )
        if result.returncode == 0:
            pytest.fail("vfat mounted on a kernel without vfat?")
        assert result.returncode == ExitCode.NOT_FOUND
        assert "cannot mount" in result.stderr and "vfat" in result.stderr
        listing = subprocess.run(
            ["mdir", "-b", "-i", node, "::aliyun_custom_image"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        ).stdout
        assert "os.conf" in listing.lower()


def test_unknown_label(tmp_path: Path) -> None:
    result = run_osconf("locate", "--partition", "LABEL=NO-SUCH-LABEL-X")
    assert result.returncode == ExitCode.NOT_FOUND
    assert "no block device has LABEL=NO-SUCH-LABEL-X" in result.stderr


def test_automatic_search_on_a_real_disk(tmp_path: Path) -> None:
    # `/` is made to be the loop disk's partition 2 through a mountinfo view;
    # sysfs and the superblocks are the real ones.
    from osconf.locate import Host, find

    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCAUTO")
        disk.mkfs(2, "ext4", "ROOTFS")
        devno = (disk.sysfs(2) / "dev").read_text().strip()
        proc = tmp_path / "proc"
        (proc / "self").mkdir(parents=True)
        (proc / "self/mountinfo").write_text(f"1 0 {devno} / / rw - ext4 /dev/x rw\n")
        found = find(None, Host(proc=str(proc)))
        assert found.device.name == disk.part_name(1)
        assert found.fs is not None and found.fs.label == "OSCAUTO"
        assert found.how.startswith("partition 1 of the root disk")


def test_watch_applies_a_file_that_appears(tmp_path: Path) -> None:
    import sys
    import time

    from tests.conftest import REPO

    root = make_root(tmp_path / "root")
    # A label of this run's own: a disk left attached by another run (or
    # another checkout's tests) must not be the one found.
    label = f"OSCW{os.getpid()}"
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", label)
        disk.put(1, "aliyun_custom_image", None)
        watcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "osconf",
                "watch",
                "--root",
                str(root),
                "--no-live",
                "--interval",
                "0.3",
                "--partition",
                f"LABEL={label}",
            ],
            cwd=REPO,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        try:
            time.sleep(1.0)
            assert (root / "etc/hostname").read_text() == "debian\n"
            disk.put(1, CONF, (SAMPLES / "vpc.conf").read_bytes())
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if (root / "etc/hostname").read_text() != "debian\n":
                    break
                time.sleep(0.2)
            assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"
            time.sleep(0.5)
        finally:
            watcher.terminate()
            watcher.wait(timeout=10)
        assert disk.listing(1, "aliyun_custom_image") == []
        assert not disk.mounted()
