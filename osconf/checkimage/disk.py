"""Checks of the disk itself: partition table, LVM, file systems, size, use.

Decided from the raw image's sectors (`layout`); an image tree has none of
these, so on a tree they are SKIPPED (file systems: from /etc/fstab), never
guessed from the machine the tree happens to sit on.
"""

import subprocess
from typing import List, Optional

from osconf.checkimage.layout import Partition
from osconf.checkimage.report import FAILED, OK, SKIPPED, WARNING, Finding
from osconf.checkimage.system import check_fstab, fstab_types
from osconf.checkimage.target import Target, tool
from osconf.checkimage.view import ExtView

GIB = 1024**3
MIN_CUSTOM_SIZE = 5 * GIB  # Customized Linux: the virtual size must be larger (§3.3.5)
MAX_SYSTEM_DISK = 500 * GIB  # the largest system disk an import can have (§3.3.1)
USE_WARNING = 0.85  # disk or inode use from which a WARNING is given
SUPPORTED = ("xfs", "ext2", "ext3", "ext4", "fat32", "vfat", "swap")
FIRST_PARTITION = ("fat32", "ext2", "ext3", "ext4")
CONF_DIR = "aliyun_custom_image"


def _tree(name: str) -> Finding:
    return Finding(name, SKIPPED, "an image tree has no disk: check the disk image file")


def check_partition_table(target: Target) -> Finding:
    name = "partition table"
    if target.layout is None:
        return _tree(name)
    scheme = target.layout.scheme
    if scheme == "mbr":
        return Finding(name, OK, f"MBR, {len(target.layout.partitions)} partition(s)")
    what = "GPT" if scheme == "gpt" else "no partition table"
    return Finding(
        name,
        FAILED,
        f"{what}: ECS boots imported images from MBR disks",
        "partition the disk with an MBR (dos) label",
    )


def check_lvm(target: Target) -> Finding:
    name = "lvm"
    if target.layout is None:
        if target.view is None:
            return _tree(name)
        mapped = [e[0] for e in fstab_types(target.view) if e[0].startswith("/dev/mapper/")]
        if mapped:
            return Finding(
                name,
                FAILED,
                f"/etc/fstab mounts logical volumes: {', '.join(mapped)}",
                "put the file systems on plain partitions",
            )
        return Finding(name, OK, "/etc/fstab mounts no logical volume")
    lvm = [str(p.number) for p in target.layout.partitions if p.lvm]
    if lvm:
        return Finding(
            name,
            FAILED,
            f"LVM physical volume on partition {', '.join(lvm)}",
            "put the file systems on plain partitions",
        )
    return Finding(name, OK, "no LVM")


def _describe(partition: Partition) -> str:
    return f"partition {partition.number} ({partition.fs or 'unknown'})"


def check_filesystems(target: Target) -> Finding:
    name = "filesystem"
    if target.layout is None:
        return check_fstab(target)
    problems: List[str] = []
    fix: List[str] = []
    for part in target.layout.partitions:
        if part.fs not in SUPPORTED:
            problems.append(f"{_describe(part)} is not xfs/ext3/ext4")
            fix.append("use xfs, ext3 or ext4")
        if part.ext is not None and part.ext.features_64bit:
            problems.append(f"{_describe(part)} has the 64bit feature")
            fix.append("make it with mkfs.ext4 -O ^64bit (resize2fs -s can drop it)")
        if part.ext is not None and part.ext.quota_and_project:
            problems.append(f"{_describe(part)} has both quota and project")
            fix.append("tune2fs -O ^project")
    if problems:
        return Finding(name, FAILED, "; ".join(problems), "; ".join(sorted(set(fix))))
    kinds = ", ".join(_describe(p) for p in target.layout.partitions) or "none"
    return Finding(name, OK, f"{kinds}; no ext4 with 64bit")


def check_disk_size(target: Target) -> Finding:
    name = "disk size"
    if target.layout is None:
        return _tree(name)
    size = target.layout.size
    shown = f"virtual size {size / GIB:.1f} GiB"
    if size <= MIN_CUSTOM_SIZE:
        return Finding(
            name,
            FAILED,
            f"{shown}: Customized Linux needs more than 5 GiB",
            "grow the image: qemu-img resize IMAGE 40G",
        )
    if size > MAX_SYSTEM_DISK:
        return Finding(
            name,
            WARNING,
            f"{shown}: the largest system disk is 500 GiB",
            "shrink the image to at most 500 GiB",
        )
    return Finding(name, OK, f"{shown} (the system disk is sized from it)")


def _use(target: Target, name: str, inodes: bool) -> Finding:
    if target.layout is None:
        return _tree(name)
    root = target.root
    if root is None or root.ext is None:
        return Finding(
            name,
            WARNING,
            f"not decided: {target.why_no_view or 'no ext root'}",
            "check free space in the running system (df)",
        )
    total = root.ext.inodes if inodes else root.ext.blocks
    free = root.ext.free_inodes if inodes else root.ext.free_blocks
    used = (total - free) / total if total else 1.0
    what = "inode" if inodes else "disk"
    shown = f"{what} use {used:.0%} on the root file system ({_describe(root)})"
    if used >= USE_WARNING:
        return Finding(
            name,
            WARNING,
            shown,
            "free space (or inodes) so that drivers and services can be installed",
        )
    return Finding(name, OK, shown)


def check_disk_use(target: Target) -> Finding:
    return _use(target, "disk use rate", inodes=False)


def check_inode_use(target: Target) -> Finding:
    return _use(target, "inode use rate", inodes=True)


def _has_conf_dir(target: Target, first: Partition) -> Optional[bool]:
    """Whether aliyun_custom_image/ is on the first partition; None: cannot tell."""
    assert target.raw is not None
    if first.ext is not None:
        debugfs = tool("debugfs")
        if debugfs is None:
            return None
        return ExtView(target.raw, first.start, debugfs).is_dir("/" + CONF_DIR)
    mdir = tool("mdir")
    if mdir is None:
        return None
    done = subprocess.run(
        [mdir, "-b", "-i", f"{target.raw}@@{first.start}", f"::/{CONF_DIR}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    return done.returncode == 0


def check_first_partition(target: Target) -> Finding:
    name = "first partition"
    if target.layout is None:
        return _tree(name)
    first = next((p for p in target.layout.partitions if p.number == 1), None)
    if first is None:
        return Finding(
            name,
            FAILED,
            "the disk has no partition 1",
            f"make partition 1 FAT32 or ext4 with {CONF_DIR}/ on it",
        )
    if first.fs not in FIRST_PARTITION:
        return Finding(
            name,
            FAILED,
            f"{_describe(first)}: the platform writes os.conf only to FAT32, ext2, ext3 or ext4",
            "make partition 1 FAT32 or ext4",
        )
    if first.ext is not None and first.ext.read_only:
        return Finding(
            name, FAILED, f"{_describe(first)} has the read-only feature", "tune2fs -O ^read-only"
        )
    present = _has_conf_dir(target, first)
    if present is None:
        return Finding(
            name,
            WARNING,
            f"{_describe(first)}; cannot look inside (install e2fsprogs / mtools)",
            f"make sure {CONF_DIR}/ exists",
        )
    if not present:
        return Finding(
            name,
            FAILED,
            f"{_describe(first)} has no {CONF_DIR}/ directory",
            f"mkdir {CONF_DIR} at the top of partition 1 (osconf install does)",
        )
    return Finding(name, OK, f"{_describe(first)}, writable, with {CONF_DIR}/")
