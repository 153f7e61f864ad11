"""A raw disk image's layout, read in place: partition table, file systems.

Pure functions over bytes plus one reader that takes only the sectors it
needs from the file: MBR (with the extended-partition chain), GPT, the ext
superblock's features and usage, FAT32 and the LVM2 label. Nothing is
mounted and no external program is run.
"""

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, List, Optional, Tuple

SECTOR = 512
_EXTENDED = (0x05, 0x0F, 0x85)
_GPT_PROTECTIVE = 0xEE
_MBR_LVM = 0x8E
_GPT_LVM = "e6d6d379-f507-44c2-a23c-238f2a3df928"
_EXT_MAGIC = 0xEF53
_MAX_PARTITIONS = 128
# ext superblock feature bits (e2fsprogs lib/ext2fs/ext2_fs.h).
COMPAT_HAS_JOURNAL = 0x0004
INCOMPAT_EXTENTS = 0x0040
INCOMPAT_64BIT = 0x0080
INCOMPAT_FLEX_BG = 0x0200
RO_COMPAT_QUOTA = 0x0100
RO_COMPAT_READONLY = 0x1000
RO_COMPAT_PROJECT = 0x2000


@dataclass(frozen=True)
class ExtInfo:
    kind: str  # ext2 | ext3 | ext4
    features_64bit: bool
    quota_and_project: bool
    read_only: bool
    blocks: int
    free_blocks: int
    inodes: int
    free_inodes: int
    block_size: int


@dataclass(frozen=True)
class Partition:
    number: int  # 1-based as Linux names them (logical partitions from 5)
    start: int  # bytes from the start of the disk
    size: int  # bytes
    type: str  # MBR "0x83" or a GPT type GUID
    fs: str  # ext2 | ext3 | ext4 | vfat | fat32 | xfs | lvm | swap | "" (unknown)
    ext: Optional[ExtInfo] = None

    @property
    def lvm(self) -> bool:
        return self.fs == "lvm" or self.type in ("0x8e", _GPT_LVM)


@dataclass(frozen=True)
class Layout:
    scheme: str  # "mbr" | "gpt" | "none"
    size: int  # bytes of the raw image (the virtual size)
    partitions: Tuple[Partition, ...]


def ext_info(sb: bytes) -> Optional[ExtInfo]:
    """Reads an ext2/3/4 superblock (the 1024 bytes at offset 1024)."""
    if len(sb) < 1024 or struct.unpack_from("<H", sb, 56)[0] != _EXT_MAGIC:
        return None
    inodes, blocks_lo, _, free_lo, free_inodes = struct.unpack_from("<IIIII", sb, 0)
    log_block = struct.unpack_from("<I", sb, 24)[0]
    compat, incompat, ro_compat = struct.unpack_from("<III", sb, 92)
    blocks, free = blocks_lo, free_lo
    if incompat & INCOMPAT_64BIT:
        blocks |= struct.unpack_from("<I", sb, 0x150)[0] << 32
        free |= struct.unpack_from("<I", sb, 0x158)[0] << 32
    if incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG):
        kind = "ext4"
    elif compat & COMPAT_HAS_JOURNAL:
        kind = "ext3"
    else:
        kind = "ext2"
    both = RO_COMPAT_QUOTA | RO_COMPAT_PROJECT
    return ExtInfo(
        kind,
        bool(incompat & INCOMPAT_64BIT),
        ro_compat & both == both,
        bool(ro_compat & RO_COMPAT_READONLY),
        blocks,
        free,
        inodes,
        free_inodes,
        1024 << min(log_block, 16),
    )


def fs_type(head: bytes) -> Tuple[str, Optional[ExtInfo]]:
    """The file system whose first bytes (at least 2048 + 4096) are `head`."""
    ext = ext_info(head[1024:2048])
    if ext is not None:
        return ext.kind, ext
    if head[:4] == b"XFSB":
        return "xfs", None
    if head[512 + 24 : 512 + 32] == b"LVM2 001" or head[512:520] == b"LABELONE":
        return "lvm", None
    if head[4096 - 10 : 4096] in (b"SWAPSPACE2", b"SWAP-SPACE"):
        return "swap", None
    if head[510:512] == b"\x55\xaa" and head[82:90] == b"FAT32   ":
        return "fat32", None
    if head[510:512] == b"\x55\xaa" and head[54:59] in (b"FAT12", b"FAT16"):
        return "vfat", None
    return "", None


def _guid(raw: bytes) -> str:
    a, b, c = struct.unpack_from("<IHH", raw, 0)
    d = raw[8:10].hex()
    e = raw[10:16].hex()
    return f"{a:08x}-{b:04x}-{c:04x}-{d}-{e}"


def _read(handle: BinaryIO, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def _mbr_entries(sector: bytes) -> List[Tuple[int, int, int]]:
    """(type, first LBA, sectors) of the four slots that are used."""
    entries = []
    for slot in range(4):
        raw = sector[446 + 16 * slot : 446 + 16 * (slot + 1)]
        kind = raw[4]
        first, count = struct.unpack_from("<II", raw, 8)
        if kind and count:
            entries.append((kind, first, count))
    return entries


def _mbr(handle: BinaryIO, sector: bytes) -> List[Tuple[int, int, int, str]]:
    found = []  # (number, start, size, type)
    extended = None
    for number, (kind, first, count) in enumerate(_mbr_entries(sector), start=1):
        if kind in _EXTENDED:
            extended = first
        found.append((number, first * SECTOR, count * SECTOR, f"0x{kind:02x}"))
    number, ebr, seen = 5, extended, set()
    while ebr is not None and ebr not in seen and number < _MAX_PARTITIONS:
        seen.add(ebr)
        data = _read(handle, ebr * SECTOR, SECTOR)
        if data[510:512] != b"\x55\xaa":
            break
        entries = _mbr_entries(data)
        following = None
        for kind, first, count in entries:
            if kind in _EXTENDED:
                following = (extended or 0) + first
            else:
                found.append((number, (ebr + first) * SECTOR, count * SECTOR, f"0x{kind:02x}"))
                number += 1
        ebr = following
    return [f for f in found if f[3] not in ("0x05", "0x0f", "0x85")]


def _gpt(handle: BinaryIO) -> List[Tuple[int, int, int, str]]:
    header = _read(handle, SECTOR, SECTOR)
    if header[:8] != b"EFI PART":
        return []
    entries_lba, count, entry_size = struct.unpack_from("<QII", header, 72)
    count = min(count, _MAX_PARTITIONS)
    if entry_size < 128 or entry_size > 4096:
        return []
    table = _read(handle, entries_lba * SECTOR, count * entry_size)
    found = []
    for index in range(count):
        raw = table[index * entry_size : (index + 1) * entry_size]
        if len(raw) < 128 or raw[:16] == b"\0" * 16:
            continue
        first, last = struct.unpack_from("<QQ", raw, 32)
        if last >= first:
            found.append((index + 1, first * SECTOR, (last - first + 1) * SECTOR, _guid(raw)))
    return found


def read_layout(path: str) -> Layout:
    """The partition table and file systems of the raw disk image at `path`."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        first = _read(handle, 0, SECTOR)
        if len(first) < SECTOR or first[510:512] != b"\x55\xaa":
            raw: List[Tuple[int, int, int, str]] = []
            scheme = "none"
        elif any(kind == _GPT_PROTECTIVE for kind, _, _ in _mbr_entries(first)):
            raw, scheme = _gpt(handle), "gpt"
        else:
            raw, scheme = _mbr(handle, first), "mbr"
        if not raw and fs_type(_read(handle, 0, 8192))[0]:
            # A whole-disk file system (a FAT boot sector also ends in 55 aa).
            raw, scheme = [(1, 0, size, "")], "none"
        parts = []
        for number, start, length, kind in raw:
            fs, ext = fs_type(_read(handle, start, 8192)) if start < size else ("", None)
            parts.append(Partition(number, start, length, kind, fs, ext))
    return Layout(scheme, size, tuple(parts))
