"""Partition tables and superblocks as `check-image` reads them, from tables sfdisk wrote."""

import struct
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from osconf.checkimage.layout import ext_info, fs_type, read_layout
from osconf.checkimage.target import image_format
from tests.helpers.tools import require_tool

MIB = 1024 * 1024


def _disk(tmp_path: Path, script: str, mib: int = 64) -> Path:
    sfdisk = require_tool("sfdisk", package="fdisk")
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as handle:
        handle.truncate(mib * MIB)
    subprocess.run([sfdisk, "-q", str(disk)], input=script, universal_newlines=True, check=True)
    return disk


def test_mbr_with_logical_partitions(tmp_path: Path) -> None:
    disk = _disk(tmp_path, "label: dos\nstart=2048, size=8192, type=83\n"
                           "start=10240, type=5\nstart=12288, size=4096, type=83\n"
                           "start=18432, size=4096, type=8e\n")  # fmt: skip
    layout = read_layout(str(disk))
    assert layout.scheme == "mbr" and layout.size == 64 * MIB
    got = [(p.number, p.start // 512, p.size // 512, p.type) for p in layout.partitions]
    assert got == [(1, 2048, 8192, "0x83"), (5, 12288, 4096, "0x83"), (6, 18432, 4096, "0x8e")]
    assert [p.lvm for p in layout.partitions] == [False, False, True]


def test_gpt_and_its_lvm_type(tmp_path: Path) -> None:
    lvm = "E6D6D379-F507-44C2-A23C-238F2A3DF928"
    disk = _disk(
        tmp_path, f"label: gpt\nstart=2048, size=8192\nstart=10240, size=8192, type={lvm}\n"
    )
    layout = read_layout(str(disk))
    assert layout.scheme == "gpt"
    assert [p.number for p in layout.partitions] == [1, 2]
    assert [p.lvm for p in layout.partitions] == [False, True]


def test_no_table_at_all(tmp_path: Path) -> None:
    disk = tmp_path / "blank.img"
    disk.write_bytes(b"\0" * MIB)
    assert read_layout(str(disk)).scheme == "none"
    assert read_layout(str(disk)).partitions == ()


def test_ext_superblock_features_and_use(tmp_path: Path) -> None:
    mkfs = require_tool("mkfs.ext4", package="e2fsprogs")
    for features, big in (("^64bit", False), ("64bit", True)):
        image = tmp_path / f"{features}.img"
        subprocess.run([mkfs, "-q", "-F", "-O", features, str(image), "32M"], check=True)
        head = image.read_bytes()[:8192]
        kind, info = fs_type(head)
        assert kind == "ext4" and info is not None
        assert info.features_64bit is big
        assert info.blocks * info.block_size == 32 * MIB
        assert 0 < info.free_blocks < info.blocks and 0 < info.free_inodes < info.inodes


def test_ext2_ext3_xfs_and_garbage() -> None:
    sb = bytearray(1024)
    struct.pack_into("<H", sb, 56, 0xEF53)
    info = ext_info(bytes(sb))
    assert info is not None and info.kind == "ext2"
    struct.pack_into("<I", sb, 92, 0x4)
    info = ext_info(bytes(sb))
    assert info is not None and info.kind == "ext3"
    assert fs_type(b"XFSB" + b"\0" * 8188)[0] == "xfs"
    assert fs_type(b"\xff" * 8192) == ("", None)
    assert ext_info(b"short") is None


def test_image_formats_by_magic(tmp_path: Path) -> None:
    cases = {"qcow2": b"QFI\xfb", "vmdk": b"KDMV", "vhdx": b"vhdxfile", "raw": b"\0\0\0\0"}
    for name, magic in cases.items():
        path = tmp_path / name
        path.write_bytes(magic + b"\0" * 4092)
        assert image_format(str(path)) == name
    vhd = tmp_path / "vhd"
    vhd.write_bytes(b"\0" * 4096 + b"conectix" + b"\0" * 504)
    assert image_format(str(vhd)) == "vhd"


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=4096), st.integers(min_value=0, max_value=4096))
def test_any_bytes_give_a_layout_or_none_never_an_exception(head: bytes, pad: int) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile() as handle:
        handle.write(head + b"\0" * pad)
        handle.flush()
        layout = read_layout(handle.name)
    assert layout.scheme in ("mbr", "gpt", "none")
    assert len(layout.partitions) <= 128


def test_an_ebr_chain_that_loops_ends(tmp_path: Path) -> None:
    disk = bytearray(64 * 512)
    disk[510:512] = b"\x55\xaa"
    # Slot 1: an extended partition at LBA 8 whose EBR points back at itself.
    disk[446 + 4] = 0x05
    struct.pack_into("<II", disk, 446 + 8, 8, 32)
    ebr = 8 * 512
    disk[ebr + 510 : ebr + 512] = b"\x55\xaa"
    disk[ebr + 446 + 4] = 0x83
    struct.pack_into("<II", disk, ebr + 446 + 8, 1, 4)
    disk[ebr + 462 + 4] = 0x05
    struct.pack_into("<II", disk, ebr + 462 + 8, 0, 32)
    path = tmp_path / "loop.img"
    path.write_bytes(bytes(disk))
    layout = read_layout(str(path))
    assert [p.number for p in layout.partitions] == [5]
