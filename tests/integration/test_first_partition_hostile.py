"""The first partition is input too: real ext4 on a loop disk, mounted, with
hostile things planted where `aliyun_custom_image/os.conf` belongs."""

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from osconf.errors import ExitCode
from tests.conftest import SAMPLES, make_root, run_osconf
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Tuple[LoopDisk, Path]]:
    require_root()
    for tool, package in (("sfdisk", "fdisk"), ("partx", "util-linux"),
                          ("mkfs.ext4", "e2fsprogs")):  # fmt: skip
        require_tool(tool, package=package)
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", None)
        point = tmp_path / "boot"
        point.mkdir()
        subprocess.run(["mount", disk.node(1), str(point)], check=True)
        try:
            yield disk, point
        finally:
            subprocess.run(["umount", str(point)], check=True)


def _apply(root: Path, disk: LoopDisk) -> "subprocess.CompletedProcess[str]":
    return run_osconf("apply", "--root", str(root), "--no-live", "--partition", disk.node(1))


def _last_run(root: Path) -> dict:
    return json.loads((root / "var/lib/osconf/state.json").read_text())["runs"][0]


def test_a_linked_folder_is_refused_and_its_target_kept(
    tmp_path: Path, mounted: Tuple[LoopDisk, Path]
) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "os.conf").write_bytes((SAMPLES / "vpc.conf").read_bytes())
    os.symlink(str(elsewhere), point / "aliyun_custom_image")
    result = _apply(root, disk)
    assert result.returncode == ExitCode.NOT_FOUND, result.stderr
    assert "not a directory on the partition" in result.stderr
    assert "Traceback" not in result.stderr
    assert (elsewhere / "os.conf").read_bytes() == (SAMPLES / "vpc.conf").read_bytes()
    assert (root / "etc/hostname").read_text() == "debian\n"  # nothing applied
    assert _last_run(root)["outcome"] == "error"


def test_a_linked_os_conf_is_refused(tmp_path: Path, mounted: Tuple[LoopDisk, Path]) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    (point / "aliyun_custom_image").mkdir()
    (point / "real.conf").write_bytes((SAMPLES / "vpc.conf").read_bytes())
    os.symlink("../real.conf", point / "aliyun_custom_image/os.conf")
    result = _apply(root, disk)
    assert result.returncode == ExitCode.NOT_FOUND, result.stderr
    assert "symbolic link, not a regular file" in result.stderr
    assert (point / "real.conf").exists() and (point / "aliyun_custom_image/os.conf").is_symlink()
    assert (root / "etc/hostname").read_text() == "debian\n"


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_fifo_or_directory_never_blocks_the_boot(
    tmp_path: Path, mounted: Tuple[LoopDisk, Path], kind: str
) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    (point / "aliyun_custom_image").mkdir()
    target = point / "aliyun_custom_image/os.conf"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    result = _apply(root, disk)  # would hang on a FIFO: run_osconf has a timeout
    assert result.returncode == ExitCode.NOT_FOUND, result.stderr
    assert "not a regular file" in result.stderr
    assert _last_run(root)["outcome"] == "error"


def test_a_read_only_partition_applies_and_reports_the_delete(
    tmp_path: Path, mounted: Tuple[LoopDisk, Path]
) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    (point / "aliyun_custom_image").mkdir()
    (point / "aliyun_custom_image/os.conf").write_bytes((SAMPLES / "vpc.conf").read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    result = _apply(root, disk)
    assert result.returncode == ExitCode.APPLY_FAILED, result.stderr
    assert "cannot delete" in result.stderr and "Traceback" not in result.stderr
    assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"  # everything applied
    run = _last_run(root)
    assert run["outcome"] == "failed" and "cannot delete" in run["message"]
    assert (point / "aliyun_custom_image/os.conf").exists()
    # The next boot does not apply the same file again: that would undo what
    # the operator changed since (here the host name). Still exit 5, said.
    (root / "etc/hostname").write_text("changed-by-the-operator\n")
    again = _apply(root, disk)
    assert again.returncode == ExitCode.APPLY_FAILED, again.stderr
    assert "not applied again" in again.stderr and "Traceback" not in again.stderr
    assert (root / "etc/hostname").read_text() == "changed-by-the-operator\n"
    assert "not applied again" in _last_run(root)["message"]
    # Writable again: the file is deleted, still not applied; the run is a success.
    subprocess.run(["mount", "-o", "remount,rw", str(point)], check=True)
    done = _apply(root, disk)
    assert done.returncode == 0, done.stderr
    assert not (point / "aliyun_custom_image/os.conf").exists()
    assert (root / "etc/hostname").read_text() == "changed-by-the-operator\n"
    assert _last_run(root)["outcome"] == "applied"
    assert not (root / "var/lib/osconf/applied-not-deleted.json").exists()


def test_a_new_file_on_a_read_only_partition_is_applied(
    tmp_path: Path, mounted: Tuple[LoopDisk, Path]
) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    (point / "aliyun_custom_image").mkdir()
    conf = point / "aliyun_custom_image/os.conf"
    conf.write_bytes((SAMPLES / "vpc.conf").read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    assert _apply(root, disk).returncode == ExitCode.APPLY_FAILED
    # The platform writes the file again (a password reset: same digest, as
    # the digest leaves the password out): a new file, applied again.
    subprocess.run(["mount", "-o", "remount,rw", str(point)], check=True)
    conf.unlink()
    conf.write_bytes((SAMPLES / "vpc.conf").read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    (root / "etc/hostname").write_text("changed-by-the-operator\n")
    result = _apply(root, disk)
    assert result.returncode == ExitCode.APPLY_FAILED, result.stderr
    assert "not applied again" not in result.stderr
    assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"


def test_a_huge_os_conf_is_read_only_up_to_the_limit(
    tmp_path: Path, mounted: Tuple[LoopDisk, Path]
) -> None:
    disk, point = mounted
    root = make_root(tmp_path / "root")
    (point / "aliyun_custom_image").mkdir()
    with open(point / "aliyun_custom_image/os.conf", "wb") as handle:
        handle.truncate(2 * 1024 * 1024 * 1024)  # sparse: 2 GiB of NULs
    result = _apply(root, disk)
    assert result.returncode == ExitCode.INVALID_CONFIG, result.stderr
    assert "larger than" in result.stderr or "more than" in result.stderr
