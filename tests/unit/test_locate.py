"""Finding the first partition in simulated layouts (sysfs + mountinfo views)."""

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from osconf.errors import LocateError
from osconf.locate import Host, block_devices, mounts, parse_spec, root_disk


def layout(tmp: Path, disks: Dict[str, List[int]], root_devno: str,
           slaves: Optional[Dict[str, List[str]]] = None) -> Host:  # fmt: skip
    """A /sys and /proc view: `disks` maps a disk to its partition numbers."""
    sys_dir, proc = tmp / "sys", tmp / "proc"
    (sys_dir / "class/block").mkdir(parents=True)
    (proc / "self").mkdir(parents=True)
    major = 252
    for d_index, (disk, numbers) in enumerate(sorted(disks.items())):
        base = sys_dir / "devices/virtual/block" / disk
        base.mkdir(parents=True)
        (base / "dev").write_text(f"{major}:{d_index * 16}\n")
        os.symlink(base, sys_dir / "class/block" / disk)
        sep = "p" if disk[-1].isdigit() else ""
        for number in numbers:
            part = base / f"{disk}{sep}{number}"
            part.mkdir()
            (part / "dev").write_text(f"{major}:{d_index * 16 + number}\n")
            (part / "partition").write_text(f"{number}\n")
            os.symlink(part, sys_dir / "class/block" / part.name)
    for index, (name, under) in enumerate(sorted((slaves or {}).items())):
        base = sys_dir / "devices/virtual/block" / name
        (base / "slaves").mkdir(parents=True)
        (base / "dev").write_text(f"253:{index}\n")
        for slave in under:
            os.symlink(sys_dir / "class/block" / slave, base / "slaves" / slave)
        os.symlink(base, sys_dir / "class/block" / name)
    (proc / "self/mountinfo").write_text(
        f"22 1 {root_devno} / / rw,relatime shared:1 - ext4 /dev/root rw\n"
        "23 22 0:5 / /dev rw - devtmpfs udev rw\n"
        "24 22 8:1 / /mnt/with\\040space rw - ext4 /dev/sdz1 rw\n"
    )
    return Host(proc=str(proc), sys=str(sys_dir), dev=str(tmp / "dev"))


@pytest.mark.parametrize(
    ("disk", "root_part", "expect"),
    [("vda", 2, "vda"), ("xvda", 1, "xvda"), ("nvme0n1", 3, "nvme0n1"), ("sda", 2, "sda")],
)
def test_root_on_a_partition(tmp_path: Path, disk: str, root_part: int, expect: str) -> None:
    host = layout(
        tmp_path,
        {disk: [1, 2, 3], "vdb": [1]},
        f"252:{16 * sorted([disk, 'vdb']).index(disk) + root_part}",
    )
    devices = block_devices(host)
    found, how = root_disk(host, devices)
    assert found == expect
    first = next(d for d in devices if d.disk == found and d.number == 1)
    sep = "p" if disk[-1].isdigit() else ""
    assert first.name == f"{disk}{sep}1"


def test_root_on_lvm(tmp_path: Path) -> None:
    host = layout(tmp_path, {"vda": [1, 2]}, "253:0", slaves={"dm-0": ["vda2"]})
    disk, how = root_disk(host, block_devices(host))
    assert disk == "vda" and "dm-0" in how


def test_root_without_partition_table(tmp_path: Path) -> None:
    host = layout(tmp_path, {"vda": []}, "252:0")
    disk, how = root_disk(host, block_devices(host))
    assert disk == "vda" and "whole disk" in how


def test_root_on_an_unknown_device(tmp_path: Path) -> None:
    host = layout(tmp_path, {"vda": [1]}, "0:42")
    with pytest.raises(LocateError, match="not a block device"):
        root_disk(host, block_devices(host))


def test_mountinfo_escapes(tmp_path: Path) -> None:
    host = layout(tmp_path, {"vda": [1]}, "252:1")
    assert [m.point for m in mounts(host)] == ["/", "/dev", "/mnt/with space"]


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [("LABEL=boot", ("LABEL", "boot")), ('UUID="ab-cd"', ("UUID", "ab-cd")),
     ("label=x", ("LABEL", "x")), ("/dev/vda1", ("PATH", "/dev/vda1"))],
)  # fmt: skip
def test_specs(spec: str, parsed: Tuple[str, str]) -> None:
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["LABEL=", "vda1", "PARTUUID=x"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(LocateError):
        parse_spec(spec)
