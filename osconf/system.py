"""The one layer that touches the system: files, subprocesses, host name.

Every path osconf reads or writes is an absolute path *inside the target*
("/etc/hostname") and is reached below `System.root` in one way only:

1. `resolve()` follows the target's symbolic links as if `root` were `/`
   (an image's `/etc/resolv.conf -> /run/...` or `../run/...` stays inside;
   `..` stops at the root), giving a path whose every directory was a real
   directory when looked at;
2. `_directory()` then opens that path one component at a time, starting from
   a descriptor of the root, each `openat` with `O_NOFOLLOW|O_DIRECTORY`: a
   component that became a link since step 1 is refused, never followed;
3. the final operation (read, create, rename, unlink, symlink, stat) is a
   `*at` call on that directory descriptor with a single name -- no `/`, no
   `..` -- and opens files `O_NOFOLLOW|O_NONBLOCK`, checks with `fstat` that
   they are regular files and reads at most `MAX_READ` bytes.

So no byte outside the root is read, written or removed, and nothing blocks
on a FIFO, whatever the image holds; `tests/integration/test_hostile_image.py`
proves it for every path osconf touches. Writes are atomic (temporary file in
the same directory, fsync, rename, directory fsync) and keep mode, owner and
SELinux label; the previous content of a replaced or removed file is kept
under `BACKUP_DIR` (reached the same way; below it no link is followed at
all), the newest `KEEP_BACKUPS` per file.
"""

import errno
import logging
import os
import re
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple, Union

from osconf.fileio import not_regular, open_regular, read_bounded
from osconf.filekinds import kind

if TYPE_CHECKING:
    import subprocess

    from osconf.netlink import Netlink

log = logging.getLogger(__name__)

BACKUP_DIR = "/var/lib/osconf/backup"
KEEP_BACKUPS = 5
# No file osconf edits comes near this; a bigger one in an image is refused
# rather than read into memory.
MAX_READ = 64 * 1024 * 1024
_SELINUX_XATTR = "security.selinux"
_MAX_LINKS = 40
_TMP_MARK = ".osconf-tmp."
_STAMP = re.compile(r"\A[0-9]{8}T[0-9]{6}\.[0-9]{9}\Z")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# Test hook for fault injection (tests/integration/test_faults.py): with
# OSCONF_TEST_KILL_IN_WRITE=N the process SIGKILLs itself in its Nth file
# write, after the new content is synced to the temporary file and before
# the rename that makes it visible.
KILL_IN_WRITE_VARIABLE = "OSCONF_TEST_KILL_IN_WRITE"


class System:
    """Side effects, confined to one root directory."""

    def __init__(
        self, root: "Union[str, os.PathLike[str]]" = "/", keep_backups: int = KEEP_BACKUPS
    ) -> None:
        self.root = Path(os.path.abspath(os.fspath(root)))
        self.keep_backups = keep_backups
        self._kill_in_write = int(os.environ.get(KILL_IN_WRITE_VARIABLE) or 0)
        self._writes = 0
        self._netlink: Optional[Netlink] = None

    def __repr__(self) -> str:
        return f"System(root={str(self.root)!r})"

    @property
    def is_live(self) -> bool:
        """True when the target is the running system itself."""
        return self.root == Path("/")

    # -- paths --------------------------------------------------------------

    def host_path(self, path: str) -> Path:
        """Where a target path is on the host, for messages and tests only:
        nothing in osconf opens it (links in it would be followed)."""
        return self.root.joinpath(*_parts(path)) if _parts(path) else self.root

    def resolve(self, path: str) -> str:
        """Follows symbolic links inside the target as if root were '/'.

        Returns the target path of the final file, which may not exist.
        """
        parts = _split(path)
        done: List[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            try:
                with self._directory(done) as fd:
                    target = os.readlink(part, dir_fd=fd)
            except (FileNotFoundError, NotADirectoryError):
                done.append(part)  # does not exist (yet): nothing to follow
                continue
            except OSError as err:
                if err.errno != errno.EINVAL:  # EINVAL: not a link
                    raise
                done.append(part)
                continue
            links += 1
            if links > _MAX_LINKS:
                raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
        return "/" + "/".join(done)

    @contextmanager
    def _directory(
        self, parts: Sequence[str], create: bool = False, mode: int = 0o755
    ) -> Iterator[int]:
        """A descriptor of the directory `parts` below the root, opened one
        component at a time with O_NOFOLLOW (created with `mode` if asked).
        A link or a non-directory on the way is an error, never followed."""
        fd = os.open(str(self.root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for index, part in enumerate(parts):
                _check_name(part)
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(part, mode, dir_fd=fd)
                    except FileExistsError:
                        pass
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as err:
                    shown = "/" + "/".join(parts[: index + 1])
                    if err.errno in (errno.ENOTDIR, errno.ELOOP):
                        kind = _kind_at(fd, part)
                        raise NotADirectoryError(
                            errno.ENOTDIR, f"not a directory ({kind})", shown
                        ) from None
                    raise
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def _parent(
        self, path: str, create: bool = False, follow: bool = True
    ) -> Iterator[Tuple[int, str, str]]:
        """(directory descriptor, final name, resolved target path) of `path`.

        With `follow` the final component's links are followed too; without,
        the name is the link itself (for removing or replacing a link).
        """
        if follow:
            real = self.resolve(path)
        else:
            parts = _split(path)
            if not parts or parts[-1] == "..":
                raise ValueError(f"not a file path: {path!r}")
            real = self.resolve("/" + "/".join(parts[:-1])).rstrip("/") + "/" + parts[-1]
        parts = _parts(real)
        if not parts:
            raise IsADirectoryError(errno.EISDIR, "is the root directory", path)
        with self._directory(parts[:-1], create) as fd:
            yield fd, parts[-1], real

    # -- reading --------------------------------------------------------------

    def read_bytes(self, path: str) -> Optional[bytes]:
        """The file's bytes (links followed inside the root), None if absent.

        Only regular files are read, at most MAX_READ bytes.
        """
        try:
            with self._parent(path) as (fd, name, real):
                found = _read_regular(fd, name, real)
        except FileNotFoundError:
            return None
        return None if found is None else found[0]

    def read_text(self, path: str) -> Optional[str]:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="surrogateescape")

    def _lstat(self, path: str, follow: bool = True) -> Optional[os.stat_result]:
        try:
            with self._parent(path, follow=follow) as (fd, name, _real):
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def exists(self, path: str) -> bool:
        """True when `path` (links followed inside the root) exists; a link
        loop counts as absent."""
        try:
            return self._lstat(path) is not None
        except OSError:
            return False

    def is_file(self, path: str) -> bool:
        try:
            st = self._lstat(path)
        except OSError:
            return False
        return st is not None and stat.S_ISREG(st.st_mode)

    def is_symlink(self, path: str) -> bool:
        st = self._lstat(path, follow=False)
        return st is not None and stat.S_ISLNK(st.st_mode)

    def readlink(self, path: str) -> str:
        with self._parent(path, follow=False) as (fd, name, _real):
            return os.readlink(name, dir_fd=fd)

    def listdir(self, path: str) -> List[str]:
        try:
            with self._directory(_parts(self.resolve(path))) as fd:
                return sorted(os.listdir(fd))
        except (FileNotFoundError, NotADirectoryError):
            return []

    # -- writing --------------------------------------------------------------

    def write_file(
        self,
        path: str,
        data: Union[bytes, str],
        mode: Optional[int] = None,
        backup: bool = True,
    ) -> bool:
        """Atomically replaces `path` (links followed) if its content differs.

        Returns False when the content was already `data` (nothing touched).
        New files get `mode` (default 0644); replaced files keep their mode,
        owner and SELinux label unless `mode` is given. `backup=False` is for
        osconf's own records, whose history is kept inside them.
        """
        if isinstance(data, str):
            # read_text decodes with surrogateescape: bytes that are not UTF-8
            # (a Latin-1 comment in an old image) are written back as they were.
            data = data.encode("utf-8", "surrogateescape")
        with self._parent(path, create=True) as (dirfd, name, real):
            old = _read_regular(dirfd, name, real)
            if old is not None:
                content, st, _label = old
                if content == data and (mode is None or stat.S_IMODE(st.st_mode) == mode):
                    return False
                if backup:
                    self._store_backup(real, content, st)
            _remove_stale_temporaries(dirfd, name)
            new_mode = (
                mode if mode is not None else (stat.S_IMODE(old[1].st_mode) if old else 0o644)
            )
            tmp = f".{name}{_TMP_MARK}{os.getpid()}"
            fd = os.open(tmp, _NEW_FILE, 0o600, dir_fd=dirfd)
            try:
                try:
                    _write_all(fd, data)
                    if old is not None:
                        os.fchown(fd, old[1].st_uid, old[1].st_gid)
                        _set_label(fd, old[2], real)
                    os.fchmod(fd, new_mode)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self._writes += 1
                if self._writes == self._kill_in_write:
                    _kill_self()
                os.replace(tmp, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
            except BaseException:
                _unlink_quietly(dirfd, tmp)
                raise
            os.fsync(dirfd)
        log.debug("wrote %s", real)
        return True

    def remove_file(self, path: str, backup: bool = True) -> bool:
        """Removes `path` (the link itself if it is one), keeping a backup of
        a regular file (`backup=False`: osconf's own leftovers). A directory
        or special file there is an error."""
        try:
            with self._parent(path, follow=False) as (dirfd, name, real):
                try:
                    st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
                except FileNotFoundError:
                    return False
                if stat.S_ISREG(st.st_mode) and backup:
                    found = _read_regular(dirfd, name, real)
                    if found is not None:
                        self._store_backup(real, found[0], found[1])
                elif not stat.S_ISLNK(st.st_mode) and not stat.S_ISREG(st.st_mode):
                    raise not_regular(st, real)
                os.unlink(name, dir_fd=dirfd)
                os.fsync(dirfd)
        except (FileNotFoundError, NotADirectoryError):
            return False
        log.debug("removed %s", real)
        return True

    def rename(self, path: str, new_path: str) -> None:
        """Renames inside the target (neither side's final link followed)."""
        with self._parent(path, follow=False) as (src, name, _real):
            with self._parent(new_path, follow=False) as (dst, new_name, _new_real):
                os.replace(name, new_name, src_dir_fd=src, dst_dir_fd=dst)
                os.fsync(dst)
        log.debug("renamed %s to %s", path, new_path)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        with self._directory(_parts(self.resolve(path)), create=True, mode=mode):
            pass

    def symlink(self, path: str, target: str) -> bool:
        """Makes `path` a symbolic link to `target` (a link or regular file
        there is replaced; a directory is an error). False when it already was."""
        with self._parent(path, create=True, follow=False) as (dirfd, name, real):
            try:
                st: Optional[os.stat_result] = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None:
                if stat.S_ISLNK(st.st_mode) and os.readlink(name, dir_fd=dirfd) == target:
                    return False
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory", real)
            tmp = f".{name}{_TMP_MARK}{os.getpid()}"
            _unlink_quietly(dirfd, tmp)
            os.symlink(target, tmp, dir_fd=dirfd)
            os.replace(tmp, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
            os.fsync(dirfd)
        log.debug("linked %s -> %s", real, target)
        return True

    def backup(self, path: str) -> Optional[str]:
        """Copies the current content of `path` into the backup area.

        Returns the backup's target path, or None when there was nothing.
        """
        try:
            with self._parent(path) as (fd, name, real):
                found = _read_regular(fd, name, real)
        except FileNotFoundError:
            return None
        if found is None:
            return None
        return self._store_backup(real, found[0], found[1])

    def _store_backup(self, real: str, data: bytes, st: os.stat_result) -> str:
        """Keeps `data` (the content of `real`) as a timestamped backup; at
        most `keep_backups` per file (oldest dropped).

        The backup area's own location may be a link inside the image (a
        /var on another file system); below it nothing is followed, so a
        planted link there fails the write instead of steering it outside.
        """
        now = time.time()
        stamp = "{}.{:09d}".format(
            time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)), int((now % 1) * 1e9)
        )
        parts = _parts(self.resolve(BACKUP_DIR)) + _parts(real)
        with self._directory(parts, create=True, mode=0o700) as dirfd:
            # Written under a dot name and renamed, so that a run killed midway
            # never leaves a truncated copy posing as a backup.
            tmp = f".{stamp}{_TMP_MARK}{os.getpid()}"
            # The backup of /etc/shadow is as secret as the file: never wider than 0600.
            fd = os.open(tmp, _NEW_FILE, 0o600, dir_fd=dirfd)
            try:
                try:
                    _write_all(fd, data)
                    os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o600)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, stamp, src_dir_fd=dirfd, dst_dir_fd=dirfd)
            except BaseException:
                _unlink_quietly(dirfd, tmp)
                raise
            names = sorted(os.listdir(dirfd))
            stale = [n for n in names if n.startswith(".") and _TMP_MARK in n]
            # Only osconf's own stamps are ever pruned.
            kept = [n for n in names if _STAMP.match(n)]
            for name in stale + kept[: max(0, len(kept) - self.keep_backups)]:
                _unlink_regular(dirfd, name)
            os.fsync(dirfd)
        return BACKUP_DIR + real + "/" + stamp

    # -- processes and the live system ------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        stdin: Optional[bytes] = None,
        check: bool = True,
        timeout: float = 60,
    ) -> "subprocess.CompletedProcess[bytes]":
        """Runs a program with separate argv items (never a shell).

        Secrets go on `stdin`, never in `argv` (argv is world-readable).
        """
        import subprocess  # only the live path runs programs: keep it off the boot path

        log.debug("running %s", " ".join(argv))
        result = subprocess.run(
            list(argv),
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=False,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise subprocess.CalledProcessError(
                result.returncode, argv[0], stderr=detail[-1] if detail else ""
            )
        return result

    def netlink(self) -> "Netlink":
        """The kernel's network state in the current network namespace.

        Opened on first use: pyroute2 is imported only on the live path.
        With `--live --root DIR` files go under DIR while this still acts on
        the namespace osconf runs in (how tests and `ip netns exec` use it).
        """
        if self._netlink is None:
            import atexit

            from osconf.netlink import Netlink

            self._netlink = Netlink()
            atexit.register(self._netlink.close)
        return self._netlink

    def set_live_hostname(self, name: str) -> bool:
        """Sets the running kernel's host name; only when the target is live."""
        if not self.is_live:
            log.info("not setting the running host name: target root is %s", self.root)
            return False
        import socket

        if socket.gethostname() == name:
            return False
        socket.sethostname(name)
        log.info("set the running host name to %s", name)
        return True


def _split(path: str) -> List[str]:
    """The components of an absolute target path ('..' kept for resolve)."""
    if not path.startswith("/"):
        raise ValueError(f"target paths are absolute: {path!r}")
    if "\0" in path:
        raise ValueError(f"NUL in a target path: {path!r}")
    return [p for p in path.split("/") if p not in ("", ".")]


def _parts(path: str) -> List[str]:
    """The components of a target path that must not climb."""
    parts = _split(path)
    if ".." in parts:
        raise ValueError(f"'..' is not allowed in a target path: {path!r}")
    return parts


def _check_name(name: str) -> None:
    # The invariant every *at call below relies on: one component, no climbing.
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"not a single path component: {name!r}")


def _kind_at(dirfd: int, name: str) -> str:
    try:
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except OSError:
        return "gone"
    return kind(st.st_mode)


def _read_regular(
    dirfd: int, name: str, shown: str
) -> Optional[Tuple[bytes, os.stat_result, Optional[bytes]]]:
    """(content, stat, SELinux label) of a regular file, None if absent."""
    opened = open_regular(dirfd, name, shown)
    if opened is None:
        return None
    fd, st = opened
    try:
        data = read_bounded(fd, MAX_READ, shown)
        try:
            label: Optional[bytes] = os.getxattr(fd, _SELINUX_XATTR)
        except OSError:
            label = None
    finally:
        os.close(fd)
    return data, st, label


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _set_label(fd: int, label: Optional[bytes], shown: str) -> None:
    if label is None:
        return
    try:
        os.setxattr(fd, _SELINUX_XATTR, label)
    except OSError as err:
        log.warning("could not keep the SELinux label of %s: %s", shown, err)


def _unlink_quietly(dirfd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dirfd)
    except OSError:
        pass


def _unlink_regular(dirfd: int, name: str) -> None:
    """Unlinks `name` only if it is a regular file (pruning never removes a
    directory or special file someone put in the backup area)."""
    try:
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode):
        os.unlink(name, dir_fd=dirfd)


def _kill_self() -> None:
    """The fault-injection hooks' SIGKILL (see KILL_IN_WRITE_VARIABLE)."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def _remove_stale_temporaries(dirfd: int, name: str) -> None:
    """Removes what a killed run left of its temporary copies of `name`."""
    prefix = f".{name}{_TMP_MARK}"
    for entry in os.listdir(dirfd):
        if entry.startswith(prefix):
            _unlink_regular(dirfd, entry)
            log.debug("removed a stale temporary file %s", entry)
