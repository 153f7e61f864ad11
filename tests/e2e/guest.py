"""A Debian 12 guest for the QEMU tier: tree, osconf installed, disk images.

The tree is built once with mmdebstrap (cached under .cache/ by a hash of
its inputs; CI starts from nothing) and osconf is installed into it as an
image builder would: its wheel with the guest's own pip, dependencies from
Debian's packages, then `osconf install --root`. Disks are assembled
without mounting anything: `mkfs.ext4 -d` (or mtools for FAT) fills each
partition image, which is copied into a partitioned disk image.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from tests.conftest import REPO
from tests.helpers.mirror import mirrors

SUITE = "bookworm"
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "linux-image-cloud-amd64",
    "initramfs-tools",
    "openssh-server",
    "iproute2",
    "ifupdown",
    "python3",
    "python3-pip",
    "python3-netaddr",
    "python3-pyroute2",
    "python3-systemd",
    "e2fsprogs",
    "mount",
)
CACHE = REPO / ".cache" / "e2e"
LABEL = "OSCONFP1"
P1_MB = 40
DISK_MB = 1600
SSHD = "PermitRootLogin yes\nPasswordAuthentication yes\nUseDNS no\n"


def _key() -> str:
    apt = " ".join(mirrors(SUITE))
    return hashlib.sha256(f"{SUITE} {apt} {' '.join(PACKAGES)} {SSHD}".encode()).hexdigest()[:16]


def base_tree() -> Path:
    """The Debian tree without osconf (cached)."""
    folder = CACHE / f"tree-{_key()}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            "--include=" + ",".join(PACKAGES),
            '--customize-hook=echo image > "$1/etc/hostname"',
            '--customize-hook=passwd --root "$1" -d root',
            SUITE,
            str(folder),
            *mirrors(SUITE),  # the machine's own apt sources
        ],
        check=True,
        timeout=1500,
    )
    (folder / "etc/ssh/sshd_config.d/osconf-e2e.conf").write_text(SSHD)
    (folder / "etc/fstab").write_text("/dev/vda2 / ext4 rw,errors=remount-ro 0 1\n")
    (folder / ".complete").write_text("")
    return folder


def with_osconf(tree: Path, work: Path) -> Path:
    """A copy of the tree with osconf installed the way an image builder would."""
    target = work / "tree"
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["cp", "-a", str(tree), str(target)], check=True)
    wheels = work / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True,
    )
    (wheel,) = wheels.glob("osconf-*.whl")
    shutil.copy(wheel, target / "tmp" / wheel.name)
    subprocess.run(
        [
            "chroot",
            str(target),
            "python3",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            "--break-system-packages",
            f"/tmp/{wheel.name}",
        ],
        check=True,
    )
    (target / "tmp" / wheel.name).unlink()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "osconf",
            "install",
            "--root",
            str(target),
            "--partition",
            f"LABEL={LABEL}",
        ],
        check=True,
        cwd=REPO,
    )
    return target


def set_stack(tree: Path, stack: str) -> None:
    """networkd: enable systemd-networkd (osconf detects it); ifupdown: leave it off."""
    wants = tree / "etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
    if stack == "networkd":
        wants.parent.mkdir(parents=True, exist_ok=True)
        if not wants.is_symlink():
            os.symlink("/lib/systemd/system/systemd-networkd.service", wants)
    elif wants.is_symlink():
        wants.unlink()


def _mkfs_ext4(image: Path, size_mb: int, source: Path, label: str) -> None:
    image.unlink(missing_ok=True)
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(source), str(image), f"{size_mb}M"],
        check=True,
    )


class Disk:
    """disk.img: partition 1 (ext4 or FAT32, labelled) + root on partition 2."""

    def __init__(self, work: Path, fstype: str = "ext4") -> None:
        self.work = work
        self.fstype = fstype
        self.path = work / "disk.img"
        self.p1_offset = 1024 * 1024
        self.p2_offset = self.p1_offset + P1_MB * 1024 * 1024

    def build(self, tree: Path, os_conf: Optional[bytes]) -> None:
        with open(self.path, "wb") as handle:
            handle.truncate(DISK_MB * 1024 * 1024)
        layout = f"label: gpt\nstart=2048, size={P1_MB * 2048}\nstart={self.p2_offset // 512}\n"
        subprocess.run(
            ["sfdisk", "-q", str(self.path)], input=layout, universal_newlines=True, check=True
        )
        root = self.work / "root.img"
        _mkfs_ext4(root, DISK_MB - P1_MB - 2, tree, "ROOT")
        self._copy_in(root, self.p2_offset)
        root.unlink()
        p1 = self.work / "p1.img"
        p1.unlink(missing_ok=True)
        if self.fstype == "ext4":
            source = self.work / "p1"
            shutil.rmtree(source, ignore_errors=True)
            (source / "aliyun_custom_image").mkdir(parents=True)
            _mkfs_ext4(p1, P1_MB, source, LABEL)
        else:
            with open(p1, "wb") as handle:
                handle.truncate(P1_MB * 1024 * 1024)
            subprocess.run(
                ["mkfs.vfat", "-F", "32", "-s", "1", "-n", LABEL, str(p1)],
                check=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            subprocess.run(["mmd", "-i", str(p1), "::aliyun_custom_image"], check=True)
        self._copy_in(p1, self.p1_offset)
        p1.unlink()
        if os_conf is not None:
            self.put_conf(os_conf)

    def _copy_in(self, image: Path, offset: int) -> None:
        subprocess.run(
            [
                "dd",
                f"if={image}",
                f"of={self.path}",
                "bs=1M",
                f"seek={offset // 2**20}",
                "conv=notrunc,sparse",
                "status=none",
            ],
            check=True,
        )

    def _p1(self) -> Path:
        """Partition 1 extracted to a file (e2fsprogs tools want a whole file system)."""
        out = self.work / "p1-view.img"
        subprocess.run(
            [
                "dd",
                f"if={self.path}",
                f"of={out}",
                "bs=1M",
                f"skip={self.p1_offset // 2**20}",
                f"count={P1_MB}",
                "status=none",
            ],
            check=True,
        )
        return out

    def put_conf(self, data: bytes) -> None:
        staged = self.work / "os.conf.staged"
        staged.write_bytes(data)
        if self.fstype == "vfat":
            subprocess.run(
                [
                    "mcopy",
                    "-o",
                    "-i",
                    f"{self.path}@@{self.p1_offset}",
                    str(staged),
                    "::aliyun_custom_image/os.conf",
                ],
                check=True,
            )
            return
        p1 = self._p1()
        subprocess.run(
            ["debugfs", "-w", "-R", "rm /aliyun_custom_image/os.conf", str(p1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        subprocess.run(
            ["debugfs", "-w", "-R", f"write {staged} /aliyun_custom_image/os.conf", str(p1)],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._copy_in(p1, self.p1_offset)
        p1.unlink()

    def conf_listing(self) -> List[str]:
        """Names in aliyun_custom_image/ on partition 1, read from the image."""
        if self.fstype == "vfat":
            out = subprocess.run(
                ["mdir", "-b", "-i", f"{self.path}@@{self.p1_offset}", "::aliyun_custom_image"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                universal_newlines=True,
                check=True,
            ).stdout
            return sorted(
                line.rstrip("/").rsplit("/", 1)[-1].lower() for line in out.split() if line.strip()
            )
        p1 = self._p1()
        try:
            out = subprocess.run(
                ["debugfs", "-R", "ls -p /aliyun_custom_image", str(p1)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                universal_newlines=True,
                check=True,
            ).stdout
        finally:
            p1.unlink()
        names = [line.split("/")[5] for line in out.splitlines() if line.count("/") >= 6]
        return sorted(n for n in names if n not in (".", ".."))
