"""Recognises a file system from its first bytes: type, label, UUID.

Pure functions over bytes, so partitions can be identified early in boot
without udev, `/dev/disk/by-*` or blkid. Covers what the platform accepts
for the first partition (spec §1): FAT (12/16/32), ext2/3/4 and UFS.
"""

import struct

from osconf.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

# Enough to cover the ext superblock (1024 + 1024) and the UFS2 superblock
# magic (65536 + 1372 + 4).
PROBE_BYTES = 65536 + 2048

_EXT_MAGIC = 0xEF53
_EXT_HAS_JOURNAL = 0x0004  # compat
_EXT4_INCOMPAT = 0x0040 | 0x0080 | 0x0200  # extents, 64bit, flex_bg
_UFS_MAGICS = (0x00011954, 0x19540119)
_UFS_OFFSETS = (8192 + 1372, 65536 + 1372)


class FileSystem(Value):
    __slots__ = ("type", "label", "uuid")
    type: str  # "vfat", "ext2", "ext3", "ext4", "ufs"
    label: "Optional[str]"
    uuid: "Optional[str]"

    def __init__(self, type: str, label: "Optional[str]", uuid: "Optional[str]") -> None:
        self._set(type, label, uuid)

    @property
    def writable_on_linux(self) -> bool:
        # Linux mounts UFS read-only by default (and often has no UFS write support).
        return self.type != "ufs"


def _ext(data: bytes) -> "Optional[FileSystem]":
    if len(data) < 2048:
        return None
    sb = data[1024:2048]
    if struct.unpack_from("<H", sb, 56)[0] != _EXT_MAGIC:
        return None
    compat, incompat = struct.unpack_from("<II", sb, 92)
    if incompat & _EXT4_INCOMPAT:
        kind = "ext4"
    elif compat & _EXT_HAS_JOURNAL:
        kind = "ext3"
    else:
        kind = "ext2"
    raw = sb[104:120]
    uuid = raw.hex()
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}"
    label = sb[120:136].split(b"\0", 1)[0].decode("utf-8", "replace") or None
    return FileSystem(kind, label, uuid)


def _fat(data: bytes) -> "Optional[FileSystem]":
    if len(data) < 512 or data[510:512] != b"\x55\xaa":
        return None
    bytes_per_sector = struct.unpack_from("<H", data, 11)[0]
    if bytes_per_sector not in (512, 1024, 2048, 4096) or data[13] == 0:
        return None
    if data[82:90] == b"FAT32   ":
        serial_at, label_at = 67, 71
    elif data[54:59] in (b"FAT12", b"FAT16", b"FAT  "):
        serial_at, label_at = 39, 43
    else:
        return None
    serial = struct.unpack_from("<I", data, serial_at)[0]
    uuid = f"{serial >> 16:04X}-{serial & 0xFFFF:04X}"
    label = data[label_at : label_at + 11].decode("ascii", "replace").rstrip(" ")
    if label in ("", "NO NAME"):
        label = ""
    return FileSystem("vfat", label or None, uuid)


def _ufs(data: bytes) -> "Optional[FileSystem]":
    for offset in _UFS_OFFSETS:
        if len(data) >= offset + 4:
            for fmt in ("<I", ">I"):
                if struct.unpack_from(fmt, data, offset)[0] in _UFS_MAGICS:
                    return FileSystem("ufs", None, None)
    return None


def identify(data: bytes) -> "Optional[FileSystem]":
    """The file system whose first bytes are `data`, or None if unknown."""
    return _ext(data) or _fat(data) or _ufs(data)
