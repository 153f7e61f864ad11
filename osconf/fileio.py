"""Reading files that may be hostile: regular files only, bounded, never
blocking.

Shared by `System` (files of the target root) and the first partition's
os.conf: a FIFO planted where a file belongs must not hang a boot, a device
node must not be read, a link must not be followed, and a huge file must not
be read whole.
"""

import errno
import os
import stat

# No `typing` at run time: the boot path (osconf.service) reads through this
# module and loads nothing it can do without.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Sequence, Tuple


def not_regular(st: os.stat_result, shown: str) -> OSError:
    """The error for a file that is not regular (see `osconf.filekinds`,
    loaded only then: creating its exception class costs the boot path
    more than the rest of this module)."""
    from osconf import filekinds

    return filekinds.not_regular(st, shown)


def open_regular(dirfd: int, name: str, shown: str) -> "Optional[Tuple[int, os.stat_result]]":
    """Opens `name` in `dirfd` for reading if it is a regular file: never a
    link (O_NOFOLLOW), never blocking (O_NONBLOCK: a FIFO planted there
    cannot hang osconf), checked again with fstat after opening. None when
    absent; an OSError naming `shown` when it is anything else."""
    if not name or name in (".", "..") or "/" in name:
        raise ValueError(f"not a single path component: {name!r}")
    try:
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(st, shown)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    fd = os.open(name, flags, dir_fd=dirfd)
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise OSError(errno.EAGAIN, "changed while being opened", shown)
    return fd, opened


def read_at_most(fd: int, size: int) -> bytes:
    """The first `size` bytes of `fd` (fewer at its end)."""
    chunks: List[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(1 << 20, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_bounded(fd: int, limit: int, shown: str) -> bytes:
    """All of `fd` if it holds at most `limit` bytes; more is an error
    (and only limit + 1 bytes are ever read)."""
    data = read_at_most(fd, limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", shown)
    return data


def open_directory(root: str, parts: "Sequence[str]", make: "Optional[int]" = None) -> int:
    """A descriptor of the directory `parts` below `root`, opened one
    component at a time with O_NOFOLLOW: a link on the way is an OSError
    (ELOOP or ENOTDIR), never followed. `make`: the mode for components
    that are missing (the last one; those above it get 0755); None: a
    missing one is FileNotFoundError. For paths below the running system's
    root that need no `System` (the boot path)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            if not part or part in (".", "..") or "/" in part:
                raise ValueError(f"not a single path component: {part!r}")
            try:
                below = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                if make is None:
                    raise
                os.mkdir(part, make if index == len(parts) - 1 else 0o755, dir_fd=fd)
                below = os.open(part, flags, dir_fd=fd)
            os.close(fd)
            fd = below
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_host_file(path: str, limit: int) -> "Optional[bytes]":
    """A file of the running system (links followed: its root is "/"),
    read as osconf reads any: regular files only, never blocking (a FIFO
    there is an OSError at once), at most `limit` bytes (more is EFBIG).
    None when absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(st, path)
        return read_bounded(fd, limit, path)
    finally:
        os.close(fd)
