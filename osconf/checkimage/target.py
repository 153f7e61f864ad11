"""What `check-image` looks at: an image tree, or a disk image file.

A raw disk image is read in place (`layout` for the partition table and
superblocks, `ExtView` for files). qcow2, VMDK, VHD/VHDX and VDI images are
converted to a temporary raw file with `qemu-img convert` first (sparse, so
it costs the space of the data, not of the virtual size), removed afterwards.
"""

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

from osconf.checkimage.layout import Layout, Partition, read_layout
from osconf.checkimage.view import ExtView, ImageView, TreeView
from osconf.errors import LocateError, UnsupportedError

_ROOT_MARKS = ("/etc/os-release", "/usr/lib/os-release", "/etc/passwd")
_SBIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
_CONVERT_TIMEOUT = 6 * 3600.0


class Target:
    """One image under examination; `view` is its root file system (or None)."""

    def __init__(
        self,
        name: str,
        kind: str,
        view: Optional[ImageView],
        layout: Optional[Layout] = None,
        root: Optional[Partition] = None,
        raw: Optional[str] = None,
        why_no_view: str = "",
    ) -> None:
        self.name = name
        self.kind = kind
        self.view = view
        self.layout = layout
        self.root = root
        self.raw = raw
        self.why_no_view = why_no_view

    @property
    def is_disk(self) -> bool:
        return self.layout is not None


def tool(name: str) -> Optional[str]:
    """A program of this machine (PATH, then the sbin directories)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in _SBIN:
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def image_format(path: str) -> str:
    """raw, qcow2, vmdk, vhd, vhdx or vdi, from the file's magic numbers."""
    with open(path, "rb") as handle:
        head = handle.read(512)
        size = os.fstat(handle.fileno()).st_size
        tail = b""
        if size >= 512:
            handle.seek(size - 512)
            tail = handle.read(512)
    if head[:4] == b"QFI\xfb":
        return "qcow2"
    if head[:4] == b"KDMV" or head.startswith(b"# Disk DescriptorFile"):
        return "vmdk"
    if head[:8] == b"vhdxfile":
        return "vhdx"
    if head[64:68] == b"\x7f\x10\xda\xbe":
        return "vdi"
    if tail[:8] == b"conectix" or head[:8] == b"conectix":
        return "vhd"
    return "raw"


def _root_view(raw: str, layout: Layout) -> Tuple[Optional[ExtView], Optional[Partition], str]:
    debugfs = tool("debugfs")
    candidates = [p for p in layout.partitions if p.ext is not None]
    if not candidates:
        kinds = ", ".join(p.fs or "unknown" for p in layout.partitions) or "no partitions"
        return None, None, f"no ext2/3/4 file system to read offline ({kinds})"
    if debugfs is None:
        return None, None, "debugfs (e2fsprogs) is not installed: files cannot be read"
    for partition in candidates:
        view = ExtView(raw, partition.start, debugfs)
        if any(view.is_file(mark) for mark in _ROOT_MARKS):
            return view, partition, ""
    return None, None, "no partition holds a root file system (/etc/os-release, /etc/passwd)"


@contextmanager
def opened(path: str, workdir: Optional[str] = None) -> Iterator[Target]:
    """The target at `path`, with any temporary raw copy removed afterwards."""
    if os.path.isdir(path):
        yield Target(path, "tree", TreeView(path))
        return
    if not os.path.exists(path):
        raise LocateError(f"{path}: no such file or directory")
    if not os.path.isfile(path):
        raise LocateError(f"{path}: neither a directory nor a disk image file")
    fmt = image_format(path)
    temporary: List[str] = []
    try:
        raw = path
        if fmt != "raw":
            raw = _convert(path, fmt, workdir)
            temporary.append(raw)
        layout = read_layout(raw)
        if "?" in raw or "@@" in raw:
            # debugfs reads "name?offset=N", mtools "name@@N": give them a plain name.
            folder = tempfile.mkdtemp(prefix="osconf-check-", dir=workdir)
            os.symlink(os.path.abspath(raw), os.path.join(folder, "disk.img"))
            temporary += [os.path.join(folder, "disk.img"), folder]
            raw = temporary[-2]
        view, root, why = _root_view(os.path.abspath(raw), layout)
        yield Target(path, f"disk image ({fmt})", view, layout, root, os.path.abspath(raw), why)
    finally:
        for name in temporary:
            if os.path.isdir(name) and not os.path.islink(name):
                os.rmdir(name)
            else:
                os.unlink(name)


def _convert(path: str, fmt: str, workdir: Optional[str]) -> str:
    qemu_img = tool("qemu-img")
    if qemu_img is None:
        raise UnsupportedError(
            f"{path} is a {fmt} image: install qemu-img (Debian: qemu-utils) to check it, "
            "or convert it to raw first"
        )
    fd, raw = tempfile.mkstemp(prefix="osconf-check-", suffix=".raw", dir=workdir)
    os.close(fd)
    done = subprocess.run(
        [qemu_img, "convert", "-q", "-f", fmt, "-O", "raw", path, raw],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=_CONVERT_TIMEOUT,
    )
    if done.returncode != 0:
        os.unlink(raw)
        message = done.stderr.decode("utf-8", "replace").strip()
        raise UnsupportedError(f"qemu-img cannot convert {path}: {message}")
    return raw
