"""Real disks for tests: an image file with a partition table on a loop device.

Works without udev: partitions are registered with `partx -a` and their
device nodes made with `mknod` inside the test's own directory (the host's
/dev is left alone).
"""

import os
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import List, Optional, Type


class LoopDisk:
    def __init__(self, folder: Path, table: str = "gpt", size_mb: int = 96) -> None:
        self.folder = folder
        self.table = table
        self.image = folder / "disk.img"
        self.loop = ""
        with open(self.image, "wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        layout = f"label: {table}\n,40M\n,\n"
        subprocess.run(
            ["sfdisk", "-q", str(self.image)], input=layout, universal_newlines=True, check=True
        )

    def __enter__(self) -> "LoopDisk":
        self.loop = subprocess.run(
            ["losetup", "-f", "--show", str(self.image)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            check=True,
        ).stdout.strip()
        subprocess.run(
            ["partx", "-a", self.loop], check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(50):
            if (self.sysfs(1) / "dev").exists():
                break
            time.sleep(0.1)
        return self

    def __exit__(
        self,
        t: Optional[Type[BaseException]],
        e: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        subprocess.run(
            ["partx", "-d", self.loop], check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        subprocess.run(["losetup", "-d", self.loop], check=False)

    @property
    def name(self) -> str:
        return os.path.basename(self.loop)

    def part_name(self, number: int) -> str:
        return f"{self.name}p{number}"

    def sysfs(self, number: int) -> Path:
        return Path("/sys/class/block") / self.part_name(number)

    def node(self, number: int) -> str:
        """A device node for partition `number`, made in the test's folder."""
        path = self.folder / f"node-{self.part_name(number)}"
        if not path.exists():
            major, minor = (int(x) for x in (self.sysfs(number) / "dev").read_text().split(":"))
            os.mknod(path, 0o600 | 0o060000, os.makedev(major, minor))
        return str(path)

    def mtools_image(self, number: int) -> str:
        """`-i` argument for mtools: the image at the partition's offset (mtools
        cannot use a partition's block device node)."""
        start = int((self.sysfs(number) / "start").read_text()) * 512
        return f"{self.image}@@{start}"

    def mkfs(self, number: int, fstype: str, label: Optional[str]) -> None:
        node = self.node(number)
        if fstype == "vfat":
            argv = ["mkfs.vfat", "-F", "32", "-s", "1"] + (["-n", label] if label else []) + [node]
        else:
            argv = [f"mkfs.{fstype}", "-q", "-F"] + (["-L", label] if label else []) + [node]
        subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def put(self, number: int, rel: str, data: Optional[bytes]) -> None:
        """Writes (or with None, only creates the folder of) a file on an ext partition."""
        point = self.folder / f"mnt{number}"
        point.mkdir(exist_ok=True)
        subprocess.run(["mount", self.node(number), str(point)], check=True)
        try:
            (point / rel).parent.mkdir(parents=True, exist_ok=True)
            if data is not None:
                (point / rel).write_bytes(data)
        finally:
            subprocess.run(["umount", str(point)], check=True)

    def listing(self, number: int, rel: str) -> Optional[List[str]]:
        """Names in a folder of an ext partition (mounted read-only to look)."""
        point = self.folder / f"look{number}"
        point.mkdir(exist_ok=True)
        subprocess.run(["mount", "-o", "ro", self.node(number), str(point)], check=True)
        try:
            target = point / rel
            return sorted(os.listdir(target)) if target.is_dir() else None
        finally:
            subprocess.run(["umount", str(point)], check=True)

    def mounted(self) -> bool:
        text = Path("/proc/self/mountinfo").read_text()
        devnos = {(self.sysfs(n) / "dev").read_text().strip() for n in (1, 2)}
        return any(line.split()[2] in devnos for line in text.splitlines())
