"""The one layer that touches the system: files, subprocesses, host name.

Every path osconf reads or writes is an absolute path *inside the target*
("/etc/hostname") and is mapped below `System.root`. Symbolic links are
resolved as if `root` were `/`, so an image's `/etc/resolv.conf ->
/run/...` never escapes to the host. Writes are atomic (temporary file in
the same directory, fsync, rename, directory fsync) and keep mode, owner and
SELinux label; the previous content of a replaced or removed file is kept
under `BACKUP_DIR`, the newest `KEEP_BACKUPS` per file.
"""

import errno
import logging
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence, Union

if TYPE_CHECKING:
    import subprocess

    from osconf.netlink import Netlink

log = logging.getLogger(__name__)

BACKUP_DIR = "/var/lib/osconf/backup"
KEEP_BACKUPS = 5
_SELINUX_XATTR = "security.selinux"
_MAX_LINKS = 40
_TMP_MARK = ".osconf-tmp."
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
        """Maps a target path to the host, without following links."""
        if not path.startswith("/"):
            raise ValueError(f"target paths are absolute: {path!r}")
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise ValueError(f"'..' is not allowed in a target path: {path!r}")
        return self.root.joinpath(*parts) if parts else self.root

    def resolve(self, path: str) -> str:
        """Follows symbolic links inside the target as if root were '/'.

        Returns the target path of the final file, which may not exist.
        """
        parts = [p for p in path.split("/") if p not in ("", ".")]
        done: List[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/" + "/".join(done + [part])
            host = self.host_path(candidate)
            if host.is_symlink():
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
                target = os.readlink(host)
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append(part)
        return "/" + "/".join(done)

    # -- reading --------------------------------------------------------------

    def read_bytes(self, path: str) -> Optional[bytes]:
        """The file's bytes (links followed inside the root), None if absent."""
        try:
            return self.host_path(self.resolve(path)).read_bytes()
        except FileNotFoundError:
            return None

    def read_text(self, path: str) -> Optional[str]:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="surrogateescape")

    def exists(self, path: str) -> bool:
        return self.host_path(self.resolve(path)).exists()

    def is_file(self, path: str) -> bool:
        return self.host_path(self.resolve(path)).is_file()

    def is_symlink(self, path: str) -> bool:
        return self.host_path(path).is_symlink()

    def readlink(self, path: str) -> str:
        return os.readlink(self.host_path(path))

    def listdir(self, path: str) -> List[str]:
        try:
            return sorted(os.listdir(self.host_path(self.resolve(path))))
        except (FileNotFoundError, NotADirectoryError):
            return []

    # -- writing --------------------------------------------------------------

    def write_file(
        self, path: str, data: Union[bytes, str], mode: Optional[int] = None, backup: bool = True
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
        real = self.resolve(path)
        host = self.host_path(real)
        try:
            st: Optional[os.stat_result] = os.stat(host)
        except FileNotFoundError:
            st = None
        if st is not None:
            if not stat.S_ISREG(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "not a regular file", real)
            if host.read_bytes() == data and (mode is None or stat.S_IMODE(st.st_mode) == mode):
                return False
            if backup:
                self.backup(real)
        host.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(host)
        new_mode = mode if mode is not None else (stat.S_IMODE(st.st_mode) if st else 0o644)
        tmp = host.parent / f".{host.name}{_TMP_MARK}{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if st is not None:
                    os.fchown(fd, st.st_uid, st.st_gid)
                    _copy_label(host, fd)
                os.fchmod(fd, new_mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._writes += 1
            if self._writes == self._kill_in_write:
                _kill_self()
            os.replace(tmp, host)
        except BaseException:
            _discard(tmp)
            raise
        _fsync_dir(host.parent)
        log.debug("wrote %s", real)
        return True

    def remove_file(self, path: str) -> bool:
        """Removes `path` (the link itself if it is one), keeping a backup."""
        host = self.host_path(path)
        if not host.is_symlink() and not host.exists():
            return False
        if not host.is_symlink():
            self.backup(path)
        host.unlink()
        _fsync_dir(host.parent)
        log.debug("removed %s", path)
        return True

    def rename(self, path: str, new_path: str) -> None:
        """Renames inside the target (e.g. to disable a conflicting config)."""
        os.replace(self.host_path(path), self.host_path(new_path))
        _fsync_dir(self.host_path(new_path).parent)
        log.debug("renamed %s to %s", path, new_path)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        self.host_path(path).mkdir(mode=mode, parents=True, exist_ok=True)

    def backup(self, path: str) -> Optional[str]:
        """Copies the current content of `path` into the backup area.

        Returns the backup's target path, or None when there was nothing.
        Keeps at most `keep_backups` copies per file (oldest dropped).
        """
        host = self.host_path(path)
        try:
            data = host.read_bytes()
            st = os.stat(host)
        except FileNotFoundError:
            return None
        folder = BACKUP_DIR + path
        stamp = (
            time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{int(time.time() * 1e9) % 10**9:09d}"
        )
        target = f"{folder}/{stamp}"
        host_folder = self.host_path(folder)
        host_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written under a dot name and renamed, so that a run killed midway
        # never leaves a truncated copy posing as a backup.
        tmp = host_folder / f".{stamp}{_TMP_MARK}{os.getpid()}"
        # The backup of /etc/shadow is as secret as the file: never wider than 0600.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o600)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.host_path(target))
        except BaseException:
            _discard(tmp)
            raise
        names = sorted(os.listdir(host_folder))
        stale = [n for n in names if n.startswith(".") and _TMP_MARK in n]
        kept = [n for n in names if n not in stale]
        for name in stale + kept[: max(0, len(kept) - self.keep_backups)]:
            (host_folder / name).unlink()
        _fsync_dir(host_folder)
        return target

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


def _discard(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _kill_self() -> None:
    """The fault-injection hooks' SIGKILL (see KILL_IN_WRITE_VARIABLE)."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def _remove_stale_temporaries(host: Path) -> None:
    """Removes what a killed run left of its temporary copies of `host`."""
    prefix = f".{host.name}{_TMP_MARK}"
    for name in os.listdir(host.parent):
        if name.startswith(prefix):
            os.unlink(host.parent / name)
            log.debug("removed a stale temporary file %s", name)


def _copy_label(source: Path, fd: int) -> None:
    try:
        label = os.getxattr(source, _SELINUX_XATTR)
    except OSError:
        return
    try:
        os.setxattr(fd, _SELINUX_XATTR, label)
    except OSError as err:
        log.warning("could not keep the SELinux label of %s: %s", source, err)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
