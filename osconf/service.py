"""What the boot runs: `osconf.service`'s ExecStart and the SysV script.

    /usr/bin/python3 -I -c "import osconf.service as s; s.boot()"

Almost every boot has no os.conf, so this entry point first proves that
cheaply, with nothing loaded beyond what the interpreter already has (no
argparse, logging, dataclasses, json, hashlib, contextlib, tempfile,
subprocess, socket): the switches, the lock, the first partition found
from sysfs and mountinfo, the file absent, the run recorded (plain os
calls and fsync), the status sent to systemd, two lines for the journal.
A partition that is not mounted is mounted read-only to look (fork and
exec of mount(8), as the full pipeline runs it, and unmounted at once).
Whenever there is more to do or to tell -- os.conf is there, the mount
fails, /etc/osconf.conf is not plain, anything failed -- it hands over to
the full pipeline, `osconf apply`, which does it all again with every
check and message. Arguments, if any, go to `osconf apply`.

Not `python3 -m osconf.service`: runpy costs about half an interpreter
start; not a console script: pip's wrapper imports `re`.
"""

import os
import sys
import time

from osconf import lifecycle, log, sd, sshkeys, state
from osconf.fileio import open_directory, open_regular, read_bounded
from osconf.locate import (
    CONF_DIR,
    CONF_NAME,
    check_type,
    conf_dir,
    find,
    mount_command,
    mounted_at,
)
from osconf.settings import runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Sequence

    from osconf.locate import Found


# /etc/osconf.conf is a few lines; a larger one is read by the full pipeline.
READ_LIMIT = 64 * 1024


class HostView:
    """The running system's files, as `lifecycle` reads them (`View`'s subset);
    `root` is "/" but for tests."""

    is_live = True

    def __init__(self, root: str = "/") -> None:
        self.root = root

    def exists(self, path: str) -> bool:
        return os.path.exists(os.path.join(self.root, path.lstrip("/")))

    def read_text(self, path: str) -> "Optional[str]":
        """The file as `System.read_text` reads it, but for what the boot
        path leaves to the full pipeline: a link on the way, anything but a
        regular file (a FIFO there would block the boot), more than
        READ_LIMIT bytes or bytes that are not UTF-8 raise (OSError,
        ValueError). None when absent."""
        *folders, name = path.strip("/").split("/")
        try:
            fd = open_directory(self.root, folders)
        except FileNotFoundError:
            return None
        try:
            opened = open_regular(fd, name, path)
        finally:
            os.close(fd)
        if opened is None:
            return None
        try:
            return read_bounded(opened[0], READ_LIMIT, path).decode("utf-8")
        finally:
            os.close(opened[0])


def nothing_to_do(settings: lifecycle.Settings, root: str = "/") -> "Optional[int]":
    """The exit code when there is nothing to apply; None to hand over.

    Raises what goes wrong (the caller hands over then, but for BusyError).
    """
    view = HostView(root)
    reason = lifecycle.disabled_by(view, settings.host)
    if reason:
        log.say(log.INFO, f"osconf is disabled: {reason}")
        state.record_on_host(state.Run(state.now(), "disabled", reason), root)
        return 0
    with lifecycle.locked(settings.lock_file, settings.lock_timeout):
        sd.notify("STATUS=Looking for the first partition")
        spec = lifecycle.plain_setting(view.read_text(lifecycle.CONFIG_FILE) or "", "partition")
        found = find(spec, settings.host)
        top = mounted_at(found, settings.host)
        if top is not None:
            there = _look(top)
            how = f"mounted at {top}"
        else:
            top = _mount(found)
            if top is None:
                return None  # the full pipeline mounts it and says why it cannot
            try:
                there = _look(top)
            finally:
                _unmount(top)
            how = "mounted read-only by osconf to look"
        if there:
            return None
        if sshkeys.pending(root):
            return None  # SSH host keys to make: the full run's (osconf.sshkeys)
        path = os.path.join(top, CONF_DIR, CONF_NAME)
        log.say(log.INFO, f"first partition {found.node} ({found.how}), {how}")
        log.say(log.INFO, f"no {path}: nothing to do")
        state.record_on_host(state.Run(state.now(), "absent", "no os.conf", path), root)
    sd.notify("STATUS=No os.conf: nothing to do")
    return 0


def _look(top: str) -> bool:
    """Anything named os.conf in the partition's folder (a file, a link, a FIFO...)."""
    with conf_dir(top) as fd:  # refuses a link or a mount in the folder's place
        if fd is None:
            return False
        try:
            os.stat(CONF_NAME, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True


def _mount(found: "Found") -> "Optional[str]":
    """The partition mounted read-only in a private directory, or None."""
    try:
        check_type(found)
    except Exception:  # noqa: BLE001 - the full pipeline reports it
        return None
    base = runtime().mount_base
    os.makedirs(base, mode=0o700, exist_ok=True)
    point = os.path.join(base, "mnt-" + os.urandom(6).hex())
    os.mkdir(point, 0o700)
    if _call(mount_command(found, point, writable=False)):
        return point
    os.rmdir(point)
    return None


def _unmount(point: str) -> None:
    if _call(["umount", point]):
        os.rmdir(point)
    else:
        log.say(log.ERR, f"could not unmount {point}")


def _call(argv: "List[str]", timeout: float = 60.0) -> bool:
    """Runs mount/umount: fork and exec (subprocess costs more to import than
    this whole path); killed after `timeout` seconds. True when it succeeded."""
    pid = os.fork()
    if pid == 0:  # the child: stdin and stdout to /dev/null, stderr kept
        try:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.005)


def main(argv: "Optional[Sequence[str]]" = None) -> int:
    args: List[str] = list(sys.argv[1:] if argv is None else argv)
    if not args:
        try:
            code = nothing_to_do(lifecycle.Settings())
        except Exception as err:  # noqa: BLE001 - the full pipeline reports it
            from osconf.errors import BusyError

            if isinstance(err, BusyError):
                log.say(log.ERR, str(err))
                return err.exit_code
            code = None
        if code is not None:
            return code
    from osconf.cli import main as full

    return full(["apply"] + args)


def boot() -> None:
    """`main()` as the process's exit status."""
    sys.exit(main())


if __name__ == "__main__":
    boot()
