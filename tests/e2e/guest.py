"""Debian 12 guests for the QEMU tier: trees per init/stack variant, osconf installed, disks.

Each variant's tree (systemd with networkd, ifupdown, NetworkManager or
netplan; sysvinit with ifupdown) is built once with mmdebstrap from the
host's apt mirror and cached under .cache/ by a hash of its inputs (CI
starts from nothing). osconf is installed into a copy of it as an image
builder would: its .deb with the image's apt, then `osconf install`.
Disks are assembled without mounting anything: `mkfs.ext4 -d` (or mtools
for FAT) fills each partition image, which is copied into a partitioned
disk image. Layouts: p1 a separate data partition (ext4 or
FAT32, not mounted by the guest), p1 = /boot (mounted by fstab UUID), or
a single partition that is / itself.
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple, Union

from tests.conftest import REPO
from tests.helpers.mirror import mirrors
from tests.helpers.packages import build_deb

SUITE = "bookworm"
CACHE = REPO / ".cache" / "e2e"
LABEL = "OSCONFP1"
P1_MB = 64
DISK_MB = 1600
SSHD = "PermitRootLogin yes\nPasswordAuthentication yes\nUseDNS no\n"
COMMON = (
    "udev", "dbus", "kmod", "linux-image-cloud-amd64", "initramfs-tools", "openssh-server",
    "iproute2", "python3", "python3-netaddr", "python3-pyroute2", "e2fsprogs", "mount", "procps",
)  # fmt: skip
SYSTEMD = ("systemd", "systemd-sysv", "python3-systemd")


@dataclass(frozen=True)
class Variant:
    """An init system and network stack: the packages and what is enabled."""

    name: str
    packages: Tuple[str, ...]
    hooks: Tuple[str, ...] = ()  # commands run in the finished tree (chroot)
    init: str = "systemd"


VARIANTS = {
    v.name: v
    for v in (
        Variant("networkd", SYSTEMD, ("systemctl enable systemd-networkd",)),
        Variant("ifupdown", (*SYSTEMD, "ifupdown")),
        Variant("networkmanager", (*SYSTEMD, "network-manager")),
        Variant("netplan", (*SYSTEMD, "netplan.io"), ("systemctl enable systemd-networkd",)),
        Variant("sysvinit", ("sysvinit-core", "ifupdown", "insserv"), init="sysvinit"),
    )
}


def _key(variant: Variant, sources: List[str]) -> str:
    inputs = [SUITE, *sources, *COMMON, *variant.packages, *variant.hooks, variant.init, SSHD]
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]


def base_tree(name: str = "ifupdown") -> Path:
    """The variant's Debian tree without osconf (cached; built when missing)."""
    variant = VARIANTS[name]
    sources = mirrors(SUITE)
    folder = CACHE / f"{variant.name}-{_key(variant, sources)}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    hooks = [f'--customize-hook=chroot "$1" {hook}' for hook in variant.hooks]
    subprocess.run(
        ["mmdebstrap", "--quiet", "--variant=minbase",
         "--aptopt=APT::Install-Recommends \"false\"",
         "--include=" + ",".join(COMMON + variant.packages),
         "--customize-hook=echo image > \"$1/etc/hostname\"",
         "--customize-hook=passwd --root \"$1\" -d root",
         *hooks, SUITE, str(folder), *sources],
        check=True, timeout=1800,
    )  # fmt: skip
    (folder / "etc/ssh/sshd_config.d/osconf-e2e.conf").write_text(SSHD)
    (folder / ".complete").write_text("")
    return folder


def kernel_and_initrd(tree: Path) -> Tuple[Path, Path]:
    return sorted(tree.glob("boot/vmlinuz-*"))[-1], sorted(tree.glob("boot/initrd.img-*"))[-1]


def set_stack(tree: Path, stack: str) -> None:
    """In a tree with ifupdown: networkd enables systemd-networkd (osconf then
    detects it); ifupdown leaves it off."""
    wants = tree / "etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
    if stack == "networkd":
        wants.parent.mkdir(parents=True, exist_ok=True)
        if not wants.is_symlink():
            os.symlink("/lib/systemd/system/systemd-networkd.service", wants)
    elif wants.is_symlink():
        wants.unlink()


def with_osconf(variant: Union[str, Path], work: Path, watch: bool = False) -> Path:
    """A copy of the variant's tree with osconf installed as an image builder
    would: the .deb with the image's dpkg and apt, then the image's own
    `osconf install` recording partition 1."""
    target = work / "tree"
    if target.exists():
        shutil.rmtree(target)
    source = variant if isinstance(variant, Path) else base_tree(variant)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    deb = build_deb(work)
    shutil.copy(deb, target / "tmp" / deb.name)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
           "LC_ALL": "C.UTF-8"}  # fmt: skip
    # dpkg unpacks and configures it; the image's apt resolves what it depends
    # on (already in the tree: nothing is downloaded at this point).
    for argv in (["dpkg", "-i", f"/tmp/{deb.name}"],
                 ["apt-get", "install", "-f", "-y", "-q", "--no-download"]):  # fmt: skip
        subprocess.run(["chroot", str(target), *argv], check=True, env=env,
                       stdout=subprocess.DEVNULL, cwd="/")  # fmt: skip
    (target / "tmp" / deb.name).unlink()
    deb.unlink()
    subprocess.run(["chroot", str(target), "osconf", "install", "--partition", f"LABEL={LABEL}",
                    *(["--watch"] if watch else [])], check=True, env=env)  # fmt: skip
    add_probe(target)
    return target


PROBE_UNIT = "osconf-probe.service"
# The lines that decide when systemd starts a unit.
ORDERING = ("DefaultDependencies=", "After=", "Before=", "Wants=", "Requires=", "Conflicts=")
UNIT_DIRS = ("etc/systemd/system", "lib/systemd/system", "usr/lib/systemd/system")


def add_probe(tree: Path) -> None:
    """The yardstick of the boot-cost table (README "Cost in the boot"):
    osconf-probe.service, a oneshot unit that runs osconf.service's own
    interpreter with `-I -c pass`, with osconf.service's ordering lines
    copied, so systemd starts both at the same point of the boot. The test
    harness puts it into the guest image only; it is no part of osconf's
    package. Images without systemd (SysV) get none."""
    unit = next((tree / d / "osconf.service" for d in UNIT_DIRS
                 if (tree / d / "osconf.service").is_file()), None)  # fmt: skip
    if unit is None:
        return
    lines = unit.read_text().splitlines()
    ordering = [line for line in lines if line.startswith(ORDERING)]
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    interpreter = shlex.split(exec_start[len("ExecStart=") :])[0]
    text = "\n".join([
        "# The osconf e2e tier's yardstick: the interpreter alone, where osconf.service starts.",
        "[Unit]", "Description=osconf e2e probe: the interpreter alone", *ordering, "",
        "[Service]", "Type=oneshot", "RemainAfterExit=yes",
        f"ExecStart={interpreter} -I -c pass", "",
        "[Install]", "WantedBy=multi-user.target", "",
    ])  # fmt: skip
    (tree / "etc/systemd/system" / PROBE_UNIT).write_text(text)
    wants = tree / "etc/systemd/system/multi-user.target.wants" / PROBE_UNIT
    if not wants.is_symlink():
        os.symlink(f"/etc/systemd/system/{PROBE_UNIT}", wants)


def _mkfs_ext4(image: Path, size_mb: int, source: Path, label: str, fs_uuid: str = "") -> None:
    if image.exists():
        image.unlink()
    extra = ["-U", fs_uuid] if fs_uuid else []
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, *extra, "-d", str(source), str(image),
                    f"{size_mb}M"], check=True)  # fmt: skip


LAYOUTS = ("separate", "boot", "root", "vfat")


class Disk:
    """disk.img in one of LAYOUTS:

    * separate: p1 ext4 labelled OSCONFP1, not mounted; / on p2
    * vfat: the same with p1 FAT32 (which this host's kernel cannot mount)
    * boot: p1 ext4 is /boot, mounted by the guest's fstab by UUID; / on p2
    * root: a single partition, p1 is / itself
    """

    def __init__(self, work: Path, layout: str = "separate") -> None:
        assert layout in LAYOUTS, layout
        self.work = work
        self.layout = layout
        self.fstype = "vfat" if layout == "vfat" else "ext4"
        self.path = work / "disk.img"
        self.p1_offset = 1024 * 1024
        self.p1_mb = DISK_MB - 2 if layout == "root" else P1_MB
        self.p2_offset = self.p1_offset + P1_MB * 1024 * 1024
        self.root_device = "/dev/vda1" if layout == "root" else "/dev/vda2"
        # Where aliyun_custom_image/ is inside partition 1's file system.
        self.conf_dir = "/aliyun_custom_image"

    def build(self, tree: Path, os_conf: Optional[bytes]) -> None:
        """Writes the disk from `tree` (which it may rearrange: /boot, fstab)."""
        with open(self.path, "wb") as handle:
            handle.truncate(DISK_MB * 1024 * 1024)
        if self.layout == "root":
            layout = "label: gpt\nstart=2048\n"
        else:
            layout = f"label: gpt\nstart=2048, size={P1_MB * 2048}\nstart={self.p2_offset // 512}\n"
        subprocess.run(
            ["sfdisk", "-q", str(self.path)], input=layout, universal_newlines=True, check=True
        )
        fstab = f"{self.root_device} / ext4 rw,errors=remount-ro 0 1\n"
        p1 = self.work / "p1.img"
        if p1.exists():
            p1.unlink()
        source = self.work / "p1"
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir()
        if self.layout == "root":
            (tree / "aliyun_custom_image").mkdir(exist_ok=True)
            (tree / "etc/fstab").write_text(fstab)
            _mkfs_ext4(p1, self.p1_mb, tree, LABEL)  # / is partition 1: the one osconf reads
        elif self.layout == "vfat":
            (tree / "etc/fstab").write_text(fstab)
            with open(p1, "wb") as handle:
                handle.truncate(P1_MB * 1024 * 1024)
            subprocess.run(["mkfs.vfat", "-F", "32", "-s", "1", "-n", LABEL, str(p1)],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
            subprocess.run(["mmd", "-i", str(p1), "::aliyun_custom_image"], check=True)
        else:
            fs_uuid = str(uuid.uuid4())
            if self.layout == "boot":
                for entry in (tree / "boot").iterdir():
                    shutil.move(str(entry), str(source / entry.name))
                fstab += f"UUID={fs_uuid} /boot ext4 rw,nosuid,nodev 0 2\n"
            (source / "aliyun_custom_image").mkdir()
            (tree / "etc/fstab").write_text(fstab)
            _mkfs_ext4(p1, P1_MB, source, LABEL, fs_uuid)
        self._copy_in(p1, self.p1_offset)
        p1.unlink()
        shutil.rmtree(source)
        if self.layout != "root":
            root = self.work / "root.img"
            _mkfs_ext4(root, DISK_MB - P1_MB - 2, tree, "ROOT")
            self._copy_in(root, self.p2_offset)
            root.unlink()
        if os_conf is not None:
            self.put_conf(os_conf)

    def _copy_in(self, image: Path, offset: int) -> None:
        subprocess.run(["dd", f"if={image}", f"of={self.path}", "bs=1M", f"seek={offset // 2**20}",
                        "conv=notrunc,sparse", "status=none"], check=True)  # fmt: skip

    def _ext4(self) -> str:
        """Partition 1 as e2fsprogs opens it inside the disk image (no copy)."""
        return f"{self.path}?offset={self.p1_offset}"

    def _debugfs(self, request: str, write: bool = False) -> "subprocess.CompletedProcess[str]":
        argv = ["debugfs", *(["-w"] if write else []), "-R", request, self._ext4()]
        return subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            check=False,
        )

    def put_conf(self, data: bytes) -> None:
        staged = self.work / "os.conf.staged"
        staged.write_bytes(data)
        if self.fstype == "vfat":
            subprocess.run(["mcopy", "-o", "-i", f"{self.path}@@{self.p1_offset}", str(staged),
                            "::aliyun_custom_image/os.conf"], check=True)  # fmt: skip
            return
        self._debugfs(f"rm {self.conf_dir}/os.conf", write=True)
        result = self._debugfs(f"write {staged} {self.conf_dir}/os.conf", write=True)
        assert result.returncode == 0, result.stderr
        assert self.conf_listing() == ["os.conf"], "debugfs did not write os.conf"

    def conf_listing(self) -> List[str]:
        """Names in aliyun_custom_image/ on partition 1, read from the image."""
        if self.fstype == "vfat":
            argv = ["mdir", "-b", "-i", f"{self.path}@@{self.p1_offset}", "::aliyun_custom_image"]
            out = subprocess.run(argv, stdout=subprocess.PIPE, universal_newlines=True,
                                 check=True).stdout  # fmt: skip
            return sorted(line.rstrip("/").rsplit("/", 1)[-1].lower()
                          for line in out.split() if line.strip())  # fmt: skip
        result = self._debugfs(f"ls -p {self.conf_dir}")
        assert result.returncode == 0, result.stderr
        names = [line.split("/")[5] for line in result.stdout.splitlines() if line.count("/") >= 6]
        return sorted(n for n in names if n not in (".", ".."))
