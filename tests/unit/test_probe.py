"""File-system identification from real images made by the real mkfs tools."""

import subprocess
from pathlib import Path
from typing import List

import pytest

from osconf.probe import PROBE_BYTES, identify
from tests.helpers.tools import require_tool


def _blkid(image: Path, tag: str) -> str:
    return subprocess.run(
        ["blkid", "-p", "-s", tag, "-o", "value", str(image)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    ).stdout.strip()


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["mkfs.ext4", "-q", "-L", "PART1"], "ext4"),
        (["mkfs.ext3", "-q", "-L", "PART1"], "ext3"),
        (["mkfs.ext2", "-q"], "ext2"),
        (["mkfs.vfat", "-F", "32", "-s", "1", "-n", "PART1"], "vfat"),
        (["mkfs.vfat", "-F", "16", "-n", "PART1"], "vfat"),
    ],
)
def test_matches_blkid(tmp_path: Path, argv: List[str], kind: str) -> None:
    require_tool(argv[0], package="dosfstools" if "vfat" in argv[0] else "e2fsprogs")
    require_tool("blkid", package="util-linux")
    image = tmp_path / "fs.img"
    with open(image, "wb") as handle:
        handle.truncate(40 * 1024 * 1024)
    subprocess.run([*argv, str(image)], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fs = identify(image.read_bytes()[:PROBE_BYTES])
    assert fs is not None and fs.type == kind
    assert fs.uuid == _blkid(image, "UUID")
    assert (fs.label or "") == _blkid(image, "LABEL")


def test_unknown_and_short() -> None:
    assert identify(b"") is None
    assert identify(bytes(PROBE_BYTES)) is None
    ufs = bytearray(PROBE_BYTES)
    ufs[65536 + 1372 : 65536 + 1376] = (0x19540119).to_bytes(4, "little")
    fs = identify(bytes(ufs))
    assert fs is not None and fs.type == "ufs" and not fs.writable_on_linux
