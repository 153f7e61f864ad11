"""`osconf check-image`: a good image passes, an image broken in each way fails that check.

The image tree is built here with osconf installed into it by `osconf install
--root`; each breakage changes exactly one verdict (all other checks keep
the good tree's verdicts). The same tree made into a real disk image (MBR,
FAT32 first partition made with mkfs.vfat/mtools, ext4 root made with
`mkfs.ext4 -d`, nothing mounted) and into a qcow2 of it is checked as well,
and disks broken in the ways only a disk can be.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterator, Tuple

import pytest

from osconf.checkimage import check_image
from osconf.checkimage.report import EXIT_FAILURES, EXIT_WARNINGS
from tests.conftest import run_osconf
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration

KERNEL = "6.1.0-99-cloud-amd64"
MODULES_DEP = (
    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
)
BUILTIN = "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/virtio/virtio.ko\n"
SHADOW = "root:!:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n"
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
SSHD_CONFIG = "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n"
USABLE_HASH = "$6$salt$" + "x" * 86
DISK_GIB = 6
ROOT_MB = 64
P1_MB = 40


def _file(root: Path, rel: str, content: str = "", mode: int = 0o644) -> Path:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    os.chmod(path, mode)
    return path


def _link(root: Path, rel: str, target: str) -> None:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    os.symlink(target, path)


def good_tree(base: Path) -> Path:
    """A merged-/usr Debian-like tree that meets every requirement."""
    root = base / "tree"
    for folder in ("usr/lib", "usr/lib64", "usr/bin", "usr/sbin", "etc", "root", "tmp", "var"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for name, target in (("lib", "usr/lib"), ("lib64", "usr/lib64"), ("bin", "usr/bin"),
                         ("sbin", "usr/sbin")):  # fmt: skip
        _link(root, name, target)
    _file(root, "etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')
    _file(root, "etc/passwd", PASSWD)
    _file(root, "etc/shadow", SHADOW, 0o640)
    _file(root, "etc/fstab", "/dev/vda2 / ext4 rw 0 1\n/dev/vda1 /boot/efi vfat rw 0 2\n")
    _file(root, f"usr/lib/modules/{KERNEL}/modules.dep", MODULES_DEP)
    _file(root, f"usr/lib/modules/{KERNEL}/modules.builtin", BUILTIN)
    # Programs the checks look for (never run by check-image: it reads files only).
    for program in ("usr/bin/passwd", "usr/sbin/sshd", "usr/lib/systemd/systemd",
                    "usr/lib/systemd/systemd-networkd", "usr/bin/python3.11"):  # fmt: skip
        _file(root, program, "#!/bin/sh\n", 0o755)
    _link(root, "usr/bin/python3", "python3.11")
    _file(root, "usr/lib/python3.11/os.py")
    site = root / "usr/lib/python3/dist-packages"
    for dist in ("netaddr-0.8.0.egg-info", "pyroute2-0.7.2.egg-info", "osconf"):
        (site / dist).mkdir(parents=True)
    _file(root, "usr/lib/python3/dist-packages/osconf/__init__.py")
    _file(
        root, "usr/bin/osconf", "#!/usr/bin/python3\nfrom osconf.cli import main\nmain()\n", 0o755
    )
    for unit in ("ssh.service", "systemd-networkd.service"):
        _file(root, f"usr/lib/systemd/system/{unit}", "[Unit]\n")
        _link(root, f"etc/systemd/system/multi-user.target.wants/{unit}",
              f"/lib/systemd/system/{unit}")  # fmt: skip
    _file(root, "etc/ssh/sshd_config", SSHD_CONFIG)
    _file(root, "etc/ssh/sshd_config.d/root.conf", "PermitRootLogin yes\n")
    done = run_osconf("install", "--root", str(root), "--partition", "LABEL=OSCONFP1")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: "pytest.TempPathFactory") -> Dict[str, str]:
    report = check_image(str(good_tree(tmp_path_factory.mktemp("baseline"))))
    return {f.name: f.status for f in report.findings}


def test_a_good_tree_passes(tmp_path: Path) -> None:
    root = good_tree(tmp_path)
    done = run_osconf("check-image", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = {line.rsplit("[", 1)[1].rstrip("]") for line in done.stdout.splitlines()
                if line.startswith("Check ")}  # fmt: skip
    assert statuses == {"OK", "SKIPPED"}, done.stdout
    skipped = [f.name for f in check_image(str(root)).findings if f.status == "SKIPPED"]
    # Only what a tree cannot tell: everything about the disk.
    assert skipped == ["partition table", "disk size", "disk use rate", "inode use rate",
                       "first partition"]  # fmt: skip


def test_json_report(tmp_path: Path) -> None:
    root = good_tree(tmp_path)
    (root / "etc/selinux").mkdir()
    _file(root, "etc/selinux/config", "SELINUX=enforcing\n")
    done = run_osconf("check-image", "--format", "json", str(root))
    assert done.returncode == EXIT_FAILURES, done.stderr
    report = json.loads(done.stdout)
    assert report["target"] == str(root) and report["kind"] == "tree"
    items = {i["name"]: i for i in report["check_items"]}
    assert items["security"]["result"] == "FAILED"
    assert "SELINUX=enforcing" in items["security"]["description"]
    assert items["security"]["fix"]
    assert report["summary"]["FAILED"] == 1 and report["exit_code"] == EXIT_FAILURES
    assert report["schema"] == "osconf/1" and report["command"] == "check-image"
    assert report["ok"] is False
    assert report["facts"]["Current system"] == "Debian GNU/Linux 12 (bookworm)"


def _unlink(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text().replace(old, new))

    return change


def _write(rel: str, content: str, mode: int = 0o644) -> Callable[[Path], None]:
    return lambda root: _file(root, rel, content, mode) and None


def _host_keys(root: Path) -> None:
    ssh_keygen = require_tool("ssh-keygen", package="openssh-client")
    subprocess.run([ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f",
                    str(root / "etc/ssh/ssh_host_ed25519_key")], check=True)  # fmt: skip


def _absolute_lib(root: Path) -> None:
    _link(root, "lib", "/usr/lib")


def _uninstall_osconf(root: Path) -> None:
    (root / "usr/bin/osconf").unlink()
    shutil.rmtree(root / "usr/lib/python3/dist-packages/osconf")


def _exec_start_elsewhere(root: Path) -> None:
    unit = root / "etc/systemd/system/osconf.service"
    text = re.sub(r"^ExecStart=\S+", "ExecStart=/opt/osconf/bin/python3", unit.read_text(),
                  flags=re.M)  # fmt: skip
    assert "ExecStart=/opt/osconf/bin/python3" in text
    unit.write_text(text)


BREAKAGES: Dict[str, Tuple[Callable[[Path], None], str, str]] = {
    "no virtio": (_replace(f"usr/lib/modules/{KERNEL}/modules.dep", "virtio_blk", "xen_blkfront"),
                  "driver", "FAILED"),
    "no kernel": (lambda root: shutil.rmtree(root / "usr/lib/modules"), "driver", "FAILED"),
    "selinux enforcing": (_write("etc/selinux/config", "SELINUX=enforcing\n"), "security",
                          "FAILED"),
    "qemu-ga": (_write("usr/bin/qemu-ga", "", 0o755), "qemu-ga", "FAILED"),
    "network service off": (_unlink("etc/systemd/system/multi-user.target.wants/"
                                    "systemd-networkd.service"), "network", "WARNING"),
    "sshd disabled": (_unlink("etc/systemd/system/multi-user.target.wants/ssh.service"),
                      "ssh", "FAILED"),
    "no sshd": (_unlink("usr/sbin/sshd"), "ssh", "FAILED"),
    "PermitRootLogin no": (_write("etc/ssh/sshd_config.d/root.conf", "PermitRootLogin no\n"),
                           "ssh", "FAILED"),
    "PermitRootLogin unset": (_unlink("etc/ssh/sshd_config.d/root.conf"), "ssh", "WARNING"),
    "firewalld": (_write("etc/systemd/system/multi-user.target.wants/firewalld.service", ""),
                  "firewall", "WARNING"),
    "btrfs": (_write("etc/fstab", "/dev/vda2 / btrfs rw 0 1\n"), "filesystem", "FAILED"),
    "no root": (_write("etc/passwd", PASSWD.split("\n", 1)[1]), "root account", "FAILED"),
    "no passwd": (_unlink("usr/bin/passwd"), "password", "WARNING"),
    "lvm": (_write("etc/fstab", "/dev/mapper/vg-root / ext4 rw 0 1\n"), "lvm", "FAILED"),
    "absolute /lib": (_absolute_lib, "lib", "WARNING"),
    "host keys": (_host_keys, "ssh host keys", "FAILED"),
    "root password": (_write("etc/shadow", SHADOW.replace("root:!:", f"root:{USABLE_HASH}:"),
                             0o640), "default password", "WARNING"),
    "empty root password": (_write("etc/shadow", SHADOW.replace("root:!:", "root::"), 0o640),
                            "default password", "FAILED"),
    "osconf not installed": (_uninstall_osconf, "boot-time script", "FAILED"),
    "osconf not enabled": (_unlink("etc/systemd/system/multi-user.target.wants/osconf.service"),
                           "boot-time script", "FAILED"),
    "unit runs a missing program": (_exec_start_elsewhere, "boot-time script", "FAILED"),
    "old python": (lambda root: _link(root, "usr/bin/python3", "python3.5"),
                   "python and libraries", "FAILED"),
    "old netaddr": (lambda root: (root / "usr/lib/python3/dist-packages/netaddr-0.8.0.egg-info")
                    .rename(root / "usr/lib/python3/dist-packages/netaddr-0.7.10.egg-info"),
                    "python and libraries", "FAILED"),
    "no pyroute2": (lambda root: (root / "usr/lib/python3/dist-packages/pyroute2-0.7.2.egg-info")
                    .rmdir(), "python and libraries", "FAILED"),
    "networkd not installed": (_unlink("usr/lib/systemd/systemd-networkd"), "network stack",
                               "FAILED"),
}  # fmt: skip
# Without its enabled unit networkd is no longer detected: osconf falls back to
# os-release (Debian: ifupdown), which this image does not have.
ALSO = {"network service off": {"network stack": "FAILED"}}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_each_breakage_changes_exactly_its_verdict(
    case: str, tmp_path: Path, baseline: Dict[str, str]
) -> None:
    root = good_tree(tmp_path)
    breaker, name, status = BREAKAGES[case]
    if case == "old python":
        _file(root, "usr/bin/python3.5", "", 0o755)
    breaker(root)
    report = check_image(str(root))
    got = {f.name: f.status for f in report.findings}
    assert got[name] == status, [f for f in report.findings if f.name == name]
    expected = dict(baseline, **{name: status}, **ALSO.get(case, {}))
    assert got == expected, "only the broken item may change"
    finding = next(f for f in report.findings if f.name == name)
    assert finding.reason and finding.fix
    failed = "FAILED" in expected.values()
    assert report.exit_code == (EXIT_FAILURES if failed else EXIT_WARNINGS)


@pytest.fixture
def immutable_shadow(tmp_path: Path) -> Iterator[Path]:
    require_root()
    chattr = require_tool("chattr", package="e2fsprogs")
    root = good_tree(tmp_path)
    shadow = root / "etc/shadow"
    if (
        subprocess.run(
            [chattr, "+i", str(shadow)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ).returncode
        != 0
    ):
        pytest.skip("the temporary directory's file system has no inode flags")
    try:
        yield root
    finally:
        subprocess.run([chattr, "-i", str(shadow)], check=True)


def test_an_immutable_shadow_fails(immutable_shadow: Path) -> None:
    got = {f.name: f.status for f in check_image(str(immutable_shadow)).findings}
    assert got["shadow file authority"] == "FAILED"


def test_a_hostile_tree_reads_nothing_outside_and_never_blocks(tmp_path: Path) -> None:
    root = good_tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("root::1:0:99999:7:::\n")
    _link(root, "etc/shadow", "../../outside/shadow")  # resolves to /outside/shadow inside
    (root / "etc/os-release").unlink()
    os.mkfifo(root / "etc/os-release")
    shutil.rmtree(root / "etc/selinux", ignore_errors=True)
    (root / "etc/selinux/config").mkdir(parents=True)
    _link(root, "etc/ssh/sshd_config.d/loop.conf", "loop.conf")
    report = check_image(str(root))
    got = {f.name: f for f in report.findings}
    assert got["default password"].status == "OK"  # the outside file was not read
    assert got["shadow file authority"].status == "FAILED"  # /etc/shadow is missing inside
    assert report.facts["Current system"] == "unknown"


# -- disk images ---------------------------------------------------------------


def _mkfs_ext4(image: Path, size_mb: int, source: Path, *features: str) -> None:
    subprocess.run(["mkfs.ext4", "-q", "-F", "-O", ",".join(features or ("^64bit",)), "-d",
                    str(source), str(image), f"{size_mb}M"], check=True)  # fmt: skip


def make_disk(work: Path, tree: Path, *, label: str = "dos", gib: int = DISK_GIB,
              first: str = "fat32", conf_dir: bool = True, root_type: str = "83",
              root_features: Tuple[str, ...] = ()) -> Path:  # fmt: skip
    """An MBR (or GPT) disk: partition 1 FAT32 or ext4, partition 2 the ext4 root."""
    for tool, package in (("sfdisk", "fdisk"), ("mkfs.ext4", "e2fsprogs"),
                          ("mkfs.vfat", "dosfstools"), ("mmd", "mtools")):  # fmt: skip
        require_tool(tool, package=package)
    disk = work / "disk.img"
    with open(disk, "wb") as handle:
        handle.truncate(gib * 1024**3)
    p1_start, p2_start = 2048, 2048 + P1_MB * 2048
    if label == "dos":
        layout = (f"label: dos\nstart={p1_start}, size={P1_MB * 2048}, type=c\n"
                  f"start={p2_start}, size={ROOT_MB * 2048}, type={root_type}\n")  # fmt: skip
    else:
        layout = (f"label: gpt\nstart={p1_start}, size={P1_MB * 2048}\n"
                  f"start={p2_start}, size={ROOT_MB * 2048}\n")  # fmt: skip
    subprocess.run(["sfdisk", "-q", str(disk)], input=layout, universal_newlines=True, check=True)
    p1 = work / "p1.img"
    if first == "fat32":
        with open(p1, "wb") as handle:
            handle.truncate(P1_MB * 1024**2)
        subprocess.run(["mkfs.vfat", "-F", "32", "-s", "1", str(p1)], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        if conf_dir:
            subprocess.run(["mmd", "-i", str(p1), "::aliyun_custom_image"], check=True)
    else:
        source = work / "p1"
        source.mkdir()
        if conf_dir:
            (source / "aliyun_custom_image").mkdir()
        _mkfs_ext4(p1, P1_MB, source)
    root = work / "root.img"
    _mkfs_ext4(root, ROOT_MB, tree, *(root_features or ("^64bit",)))
    for image, start in ((p1, p1_start), (root, p2_start)):
        subprocess.run(["dd", f"if={image}", f"of={disk}", "bs=512", f"seek={start}",
                        "conv=notrunc,sparse", "status=none"], check=True)  # fmt: skip
        image.unlink()
    return disk


@pytest.fixture(scope="module")
def tree(tmp_path_factory: "pytest.TempPathFactory") -> Path:
    return good_tree(tmp_path_factory.mktemp("disk-tree"))


def _verdicts(path: Path) -> Dict[str, str]:
    return {f.name: f.status for f in check_image(str(path)).findings}


def test_a_good_raw_disk_passes_every_check(tmp_path: Path, tree: Path) -> None:
    disk = make_disk(tmp_path, tree)
    done = run_osconf("check-image", str(disk))
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(_verdicts(disk).values()) == {"OK"}, done.stdout
    assert "System disk size: 6.0 GiB (virtual)" in done.stdout
    assert "Root file system: partition 2 (ext4)" in done.stdout
    assert os.stat(disk).st_blocks * 512 < 200 * 1024**2, "the image must stay sparse"


def test_a_qcow2_of_it_passes_too(tmp_path: Path, tree: Path) -> None:
    qemu_img = require_tool("qemu-img", package="qemu-utils")
    disk = make_disk(tmp_path, tree)
    qcow2 = tmp_path / "disk.qcow2"
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "qcow2", str(disk), str(qcow2)],
                   check=True)  # fmt: skip
    disk.unlink()
    before = set(os.listdir(tmp_path))
    done = run_osconf("check-image", "--format", "json", str(qcow2))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["kind"] == "disk image (qcow2)"
    assert {i["result"] for i in report["check_items"]} == {"OK"}
    assert set(os.listdir(tmp_path)) == before


def test_an_ext4_first_partition_passes(tmp_path: Path, tree: Path) -> None:
    assert _verdicts(make_disk(tmp_path, tree, first="ext4"))["first partition"] == "OK"


def _shadow_immutable(disk: Path) -> None:
    """Sets the immutable flag on /etc/shadow inside partition 2, with debugfs."""
    offset = (2048 + P1_MB * 2048) * 512
    subprocess.run(["debugfs", "-w", "-R", "set_inode_field /etc/shadow flags 0x80010",
                    f"{disk}?offset={offset}"], check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)  # fmt: skip


DISK_BREAKAGES: Dict[str, Tuple[Dict[str, object], str]] = {
    "gpt": ({"label": "gpt"}, "partition table"),
    "64bit": ({"root_features": ("64bit",)}, "filesystem"),
    "quota and project": ({"root_features": ("^64bit", "quota", "project")}, "filesystem"),
    "small": ({"gib": 1}, "disk size"),
    "lvm type": ({"root_type": "8e"}, "lvm"),
    "no aliyun_custom_image on FAT32": ({"conf_dir": False}, "first partition"),
    "no aliyun_custom_image on ext4": ({"first": "ext4", "conf_dir": False}, "first partition"),
}


@pytest.mark.parametrize("case", sorted(DISK_BREAKAGES))
def test_a_broken_disk_fails_its_check(case: str, tmp_path: Path, tree: Path) -> None:
    options, name = DISK_BREAKAGES[case]
    got = _verdicts(make_disk(tmp_path, tree, **options))  # type: ignore[arg-type]
    assert got[name] == "FAILED", got
    others = {k: v for k, v in got.items() if k != name}
    if case == "lvm type":
        # The root partition is still an ext4 file system: every file check still passes.
        others.pop("filesystem", None)
    assert set(others.values()) == {"OK"}, others


def test_an_immutable_shadow_on_disk_fails(tmp_path: Path, tree: Path) -> None:
    disk = make_disk(tmp_path, tree)
    _shadow_immutable(disk)
    got = _verdicts(disk)
    assert got["shadow file authority"] == "FAILED"
    assert {k for k, v in got.items() if v != "OK"} == {"shadow file authority"}


def test_a_full_root_file_system_warns(tmp_path: Path, tree: Path) -> None:
    full = tmp_path / "full"
    shutil.copytree(tree, full, symlinks=True)
    (full / "var/filler").write_bytes(os.urandom(52 * 1024**2))
    got = _verdicts(make_disk(tmp_path, full))
    assert got["disk use rate"] == "WARNING"


def test_missing_target_and_unconvertible_file(tmp_path: Path) -> None:
    done = run_osconf("check-image", str(tmp_path / "nothing"))
    assert done.returncode == 4 and "no such file" in done.stderr
    junk = tmp_path / "junk.qcow2"
    junk.write_bytes(b"QFI\xfb" + b"\0" * 1020)
    done = run_osconf("check-image", str(junk))
    assert done.returncode in (4, 7) and "Traceback" not in done.stderr, done.stderr


def test_a_disk_whose_name_has_question_marks_and_at_signs(tmp_path: Path, tree: Path) -> None:
    disk = make_disk(tmp_path, tree)
    odd = tmp_path / "my?offset=0@@9.img"
    disk.rename(odd)
    before = set(os.listdir(tmp_path))
    assert set(_verdicts(odd).values()) == {"OK"}
    assert set(os.listdir(tmp_path)) == before


def test_a_packaged_unit_in_lib_systemd_counts(tmp_path: Path) -> None:
    # The .deb puts the unit in /lib/systemd/system and enables it with a link.
    root = good_tree(tmp_path)
    unit = root / "etc/systemd/system/osconf.service"
    shutil.move(str(unit), str(root / "usr/lib/systemd/system/osconf.service"))
    _link(root, "etc/systemd/system/multi-user.target.wants/osconf.service",
          "/lib/systemd/system/osconf.service")  # fmt: skip
    got = {f.name: f for f in check_image(str(root)).findings}
    assert got["boot-time script"].status == "OK", got["boot-time script"]
