"""Finds the platform's first partition and makes its files reachable.

The device name differs between instance families (vda1, xvda1, nvme0n1p1,
sda1) and udev may not have run yet, so nothing here needs
`/dev/disk/by-*`: block devices are listed from sysfs, identified by reading
their first bytes (`osconf.probe`), and the disk that holds `/` is found
from mountinfo. Paths of /proc, /sys and /dev are parameters so tests can
give a simulated layout.
"""

import errno
import os
import stat

from osconf.probe import PROBE_BYTES, FileSystem, identify
from osconf.settings import runtime
from osconf.value import Value

# Only names for the type checker: this module is on the boot path, where
# typing, dataclasses, logging, pathlib, contextlib and tempfile are not
# loaded (each costs more than the path's whole work); the few functions
# that need one import it themselves.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ContextManager, Iterator, List, Optional, Tuple

    from osconf.errors import LocateError
    from osconf.system import System

CONF_DIR = "aliyun_custom_image"
CONF_NAME = "os.conf"
SUPPORTED = ("vfat", "ext2", "ext3", "ext4")
MOUNT_BASE = "/run/osconf"  # the host's; settings.runtime() says where it is now
# What is read of os.conf at most: one byte more than the parser accepts
# (osconf.parse.MAX_BYTES, a unit test keeps them equal), so that a larger
# file is reported as such without being read whole.
CONF_LIMIT = 256 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Host(Value):
    """Where the running system's kernel interfaces are (tests move them)."""

    __slots__ = ("proc", "sys", "dev")
    proc: str
    sys: str
    dev: str

    def __init__(self, proc: str = "/proc", sys: str = "/sys", dev: str = "/dev") -> None:
        self._set(proc, sys, dev)


class BlockDevice(Value):
    __slots__ = ("name", "devno", "disk", "number")
    name: str  # "vda1"
    devno: str  # "252:1"
    disk: "Optional[str]"  # "vda" for a partition, None for a whole disk
    number: "Optional[int]"  # partition number

    def __init__(
        self, name: str, devno: str, disk: "Optional[str]", number: "Optional[int]"
    ) -> None:
        self._set(name, devno, disk, number)


class Found(Value):
    """The first partition: which device, what it holds, how it was chosen."""

    __slots__ = ("device", "node", "fs", "how")
    device: BlockDevice
    node: str  # a device node usable to read/mount it
    fs: "Optional[FileSystem]"
    how: str

    def __init__(
        self, device: BlockDevice, node: str, fs: "Optional[FileSystem]", how: str
    ) -> None:
        self._set(device, node, fs, how)


class Mount(Value):
    __slots__ = ("devno", "root", "point")
    devno: str
    root: str  # the directory of the file system that is mounted there
    point: str

    def __init__(self, devno: str, root: str, point: str) -> None:
        self._set(devno, root, point)


HOST = Host()


def _error(message: str) -> "LocateError":
    # errors.py loads dataclasses: only a failing search pays for it.
    from osconf.errors import LocateError

    return LocateError(message)


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def parse_spec(spec: str) -> "Tuple[str, str]":
    """'LABEL=x' / 'UUID=y' / '/dev/...' -> (kind, value)."""
    for kind in ("LABEL", "UUID"):
        if spec.upper().startswith(kind + "="):
            value = spec[len(kind) + 1 :].strip().strip('"')
            if not value:
                raise _error(f"empty {kind} in partition spec {spec!r}")
            return kind, value
    if spec.startswith("/dev/") or spec.startswith("/"):
        return "PATH", spec
    raise _error(f"partition spec must be LABEL=..., UUID=... or a /dev path: {spec!r}")


def block_devices(host: Host) -> "List[BlockDevice]":
    """Every block device the kernel knows, from /sys/class/block."""
    base = os.path.join(host.sys, "class/block")
    devices = []
    for entry in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        path = os.path.join(base, entry)
        try:
            devno = _read(os.path.join(path, "dev")).strip()
        except OSError:
            continue
        number: Optional[int] = None
        disk: Optional[str] = None
        if os.path.exists(os.path.join(path, "partition")):
            number = int(_read(os.path.join(path, "partition")).strip() or 0)
            disk = os.path.basename(os.path.dirname(os.path.realpath(path)))
        devices.append(BlockDevice(entry, devno, disk, number))
    return devices


def _probe_candidates(host: Host, devices: "List[BlockDevice]") -> "List[BlockDevice]":
    """The devices worth reading a superblock from, partitions first.

    Removable and empty devices are skipped: opening a CD drive (sr0) can
    take seconds and never holds the system disk's first partition.
    """
    base = os.path.join(host.sys, "class/block")

    def attribute(name: str, attr: str) -> str:
        try:
            return _read(os.path.join(base, name, attr)).strip()
        except OSError:
            return ""

    keep = [
        d for d in devices
        if attribute(d.name, "size") not in ("", "0")
        and attribute(d.disk or d.name, "removable") != "1"
    ]  # fmt: skip
    return sorted(keep, key=lambda d: (d.number is None, d.name))


def mounts(host: Host) -> "List[Mount]":
    """The mount table of this process's mount namespace."""
    try:
        text = _read(os.path.join(host.proc, "self/mountinfo"))
    except OSError as err:
        raise _error(f"cannot read the mount table: {err}") from None
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        found.append(Mount(fields[2], _unescape(fields[3]), _unescape(fields[4])))
    return found


def _unescape(text: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal.
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 4].isdigit() and len(text[i + 1 : i + 4]) == 3:
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _underlying_partitions(host: Host, name: str) -> "List[str]":
    """A device-mapper/LVM/md device's partitions (via slaves/), else itself."""
    slaves = os.path.join(host.sys, "class/block", name, "slaves")
    if os.path.isdir(slaves) and os.listdir(slaves):
        out: List[str] = []
        for slave in sorted(os.listdir(slaves)):
            out.extend(_underlying_partitions(host, slave))
        return out
    return [name]


def root_disk(host: Host, devices: "List[BlockDevice]") -> "Tuple[str, str]":
    """The disk that holds `/`, and how that was found."""
    root = next((m for m in mounts(host) if m.point == "/"), None)
    if root is None:
        raise _error("no file system is mounted on / (mountinfo)")
    by_devno = {d.devno: d for d in devices}
    holder = by_devno.get(root.devno)
    if holder is None:
        raise _error(f"/ is on device {root.devno}, which is not a block device in sysfs")
    for name in _underlying_partitions(host, holder.name):
        device = next((d for d in devices if d.name == name), None)
        if device is not None and device.disk is not None:
            return device.disk, f"/ is on {holder.name}, a partition of {device.disk}"
        if device is not None:
            return device.name, f"/ is on {holder.name}, on the whole disk {device.name}"
    raise _error(f"cannot tell which disk holds / (on {holder.name})")


def device_node(host: Host, device: BlockDevice) -> str:
    """A node for `device`: /dev/NAME, or one made from sysfs when udev has not."""
    node = os.path.join(host.dev, device.name)
    if os.path.exists(node):
        return node
    major, minor = (int(x) for x in device.devno.split(":"))
    base = runtime().mount_base
    os.makedirs(base, mode=0o700, exist_ok=True)
    made = os.path.join(base, f"dev-{device.name}")
    if not os.path.exists(made):
        os.mknod(made, 0o600 | 0o060000, os.makedev(major, minor))
    return made


def read_fs(node: str) -> "Optional[FileSystem]":
    try:
        with open(node, "rb") as handle:
            return identify(handle.read(PROBE_BYTES))
    except OSError as err:
        import logging

        logging.getLogger(__name__).debug("cannot read %s: %s", node, err)
        return None


def find(spec: "Optional[str]", host: Host = HOST) -> Found:
    """The first partition: by spec (LABEL=/UUID=/path) or partition 1 of /'s disk."""
    devices = block_devices(host)
    if spec:
        kind, value = parse_spec(spec)
        if kind == "PATH":
            try:
                st = os.stat(value)
            except OSError as err:
                raise _error(f"{value}: {err.strerror}") from None
            if not stat.S_ISBLK(st.st_mode):
                raise _error(f"{value}: not a block device")
            devno = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
            device = next((d for d in devices if d.devno == devno), None)
            if device is None:
                raise _error(f"{value}: not a block device known to the kernel")
            return Found(device, value, read_fs(value), f"given as {value}")
        for device in _probe_candidates(host, devices):
            fs = read_fs(device_node(host, device))
            if fs is not None and (fs.label if kind == "LABEL" else fs.uuid) is not None:
                have = fs.label if kind == "LABEL" else fs.uuid
                if have is not None and have.lower() == value.lower():
                    return Found(device, device_node(host, device), fs, f"{kind}={value}")
        raise _error(
            f"no block device has {kind}={value} (looked at {len(devices)} devices in sysfs)"
        )
    disk, how = root_disk(host, devices)
    first = next((d for d in devices if d.disk == disk and d.number == 1), None)
    if first is None:
        raise _error(f"{how}, but {disk} has no partition 1")
    node = device_node(host, first)
    return Found(first, node, read_fs(node), f"partition 1 of the root disk ({how})")


def check_type(found: Found) -> None:
    fs = found.fs
    if fs is None:
        raise _error(f"{found.node}: no FAT or ext2/3/4 file system found on it")
    if fs.type == "ufs":
        raise _error(
            f"{found.node}: UFS, which Linux mounts read-only: os.conf could be read but "
            "never deleted; use FAT32 or ext2/3/4 for the first partition"
        )
    if fs.type not in SUPPORTED:
        raise _error(f"{found.node}: {fs.type} is not a supported file system")


def mount_command(found: Found, point: str, writable: bool) -> "List[str]":
    """How osconf mounts the partition at `point` (after `check_type`)."""
    assert found.fs is not None
    options = ("rw" if writable else "ro") + ",nosuid,nodev,noexec"
    if found.fs.type == "vfat":
        options += ",umask=0077"
    return ["mount", "-t", found.fs.type, "-o", options, found.node, point]


def mounted_at(found: Found, host: Host) -> "Optional[str]":
    """Where the partition's root directory is mounted already, if it is."""
    for mount in mounts(host):
        if mount.devno == found.device.devno and mount.root == "/":
            return mount.point
    return None


class conf_dir:
    """`with conf_dir(top) as fd:` a descriptor of `aliyun_custom_image/` on
    the partition mounted at `top`, None when there is none.

    The partition is input like os.conf: the folder must be a real directory
    on that file system (O_NOFOLLOW: a link to anywhere is refused, never
    followed; another file system mounted there is refused too), and
    os.conf is reached only through this descriptor. (A class rather than a
    contextlib generator: the boot path does not load contextlib.)
    """

    def __init__(self, top: str) -> None:
        self.top = top
        self.fd: Optional[int] = None

    def __enter__(self) -> "Optional[int]":
        top = self.top
        try:
            top_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            raise _error(f"{top}: {err.strerror}") from None
        try:
            try:
                fd = os.open(CONF_DIR, _DIR_FLAGS, dir_fd=top_fd)
            except FileNotFoundError:
                return None
            except OSError as err:
                if err.errno not in (errno.ENOTDIR, errno.ELOOP):
                    raise _error(f"{top}/{CONF_DIR}: {err.strerror}") from None
                raise _error(
                    f"{top}/{CONF_DIR} is not a directory on the partition (a link or a file): "
                    "refused"
                ) from None
            if os.fstat(fd).st_dev != os.fstat(top_fd).st_dev:
                os.close(fd)
                raise _error(f"{top}/{CONF_DIR} is another file system mounted there: refused")
            self.fd = fd
            return fd
        finally:
            os.close(top_fd)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def read_platform_conf(dir_fd: int, shown: str, limit: int) -> "Optional[bytes]":
    """os.conf's bytes from `aliyun_custom_image/` (see `conf_dir`), None
    when absent: a regular file only (a FIFO, device or link is an error and
    never blocks), at most `limit` + 1 bytes read."""
    from osconf.fileio import open_regular, read_at_most

    try:
        opened = open_regular(dir_fd, CONF_NAME, shown)
        if opened is None:
            return None
        fd, _st = opened
        try:
            return read_at_most(fd, limit + 1)
        finally:
            os.close(fd)
    except OSError as err:
        raise _error(f"{shown}: {err.strerror}") from None


def consume(dir_fd: int, shown: str) -> None:
    """Deletes os.conf for good: unlink in its folder, then fsync the folder."""
    try:
        os.unlink(CONF_NAME, dir_fd=dir_fd)
        os.fsync(dir_fd)
    except OSError as err:
        from osconf.errors import ApplyError

        raise ApplyError([f"applied, but cannot delete {shown}: {err.strerror}"]) from None


def reachable(
    found: Found, host: Host, system: "System", writable: bool = True
) -> "ContextManager[Tuple[str, str]]":
    """Yields (directory where the partition's root is, how); mounts if needed.

    An existing mount (often /boot, or / itself) is used as it is; otherwise
    the partition is mounted (read-write unless `writable` is False) in a
    private directory and unmounted afterwards.
    """
    from contextlib import contextmanager

    return contextmanager(_reach)(found, host, system, writable)


def _reach(
    found: Found, host: Host, system: "System", writable: bool
) -> "Iterator[Tuple[str, str]]":
    point = mounted_at(found, host)
    if point is not None:
        yield point, f"mounted at {point}"
        return
    import logging
    import tempfile

    check_type(found)
    assert found.fs is not None
    base = runtime().mount_base
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
        point = tempfile.mkdtemp(prefix="mnt-", dir=base)
    except OSError as err:
        raise _error(f"cannot make a mount point for {found.node} in {base}: {err}") from None
    try:
        system.run(mount_command(found, point, writable))
    except Exception as err:
        os.rmdir(point)
        raise _error(f"cannot mount {found.node} ({found.fs.type}): {err}") from None
    try:
        yield point, f"mounted by osconf at {point}"
    finally:
        try:
            system.run(["umount", point])
            os.rmdir(point)
        except Exception as err:  # noqa: BLE001 - reported; the run's result stands
            logging.getLogger(__name__).error("could not unmount %s: %s", point, err)
