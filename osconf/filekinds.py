"""What a file is, in words, and the error for one that is not a regular
file where osconf expects one. Apart from `osconf.fileio` so that the boot
path, which reads through fileio, loads this only when it finds such a
file."""

import errno
import os
import stat


class NotRegularFileError(OSError):
    """A FIFO, socket or device where osconf expects a regular file."""


def kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return word
    return "an unknown kind of file"


def not_regular(st: os.stat_result, shown: str) -> OSError:
    if stat.S_ISDIR(st.st_mode):
        return IsADirectoryError(errno.EISDIR, "is a directory, not a regular file", shown)
    return NotRegularFileError(errno.EINVAL, f"is {kind(st.st_mode)}, not a regular file", shown)
