"""One boot/watch/manual run on the platform's file, start to finish.

    disabled? -> lock -> locate partition -> os.conf there? -> validate ->
    plan -> apply -> all applied: delete os.conf -> record the run

os.conf is deleted only when every action succeeded; an invalid file or a
partial failure keeps it for the next boot or a manual retry, and the exit
code says which. Every outcome is recorded in the state file.

This module is also the boot path's (`osconf.service`): what a boot without
os.conf needs from it (the switches, the lock, the plain reading of
/etc/osconf.conf) loads nothing beyond `os`; the validator, the planner and
the error types are imported by the one function that needs them.
"""

import errno
import fcntl
import os
import time

from osconf import settings as settings_file
from osconf import sshkeys, state
from osconf.locate import (
    CONF_DIR,
    CONF_LIMIT,
    CONF_NAME,
    HOST,
    Host,
    conf_dir,
    consume,
    find,
    reachable,
    read_platform_conf,
)
from osconf.sd import notify
from osconf.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import ContextManager, Iterator, Optional, Protocol, Tuple, Type

    from osconf.locate import Found
    from osconf.options import Options
    from osconf.system import System
    from osconf.view import View

    class Files(Protocol):
        """What the switches read: `System`, or the boot path's `HostView`."""

        @property
        def is_live(self) -> bool: ...

        def exists(self, path: str) -> bool: ...


LOCK_FILE = "/run/osconf.lock"  # the host's; settings.runtime() says where it is now
CONFIG_FILE = settings_file.CONFIG_FILE
DISABLE_FILE = "/etc/osconf/disabled"
KERNEL_SWITCH = "osconf"  # osconf=off (or 0, no, false, disabled) on the kernel command line
_OFF = ("off", "0", "no", "false", "disabled")
# What a value may hold for `plain_setting` to read it without the parser:
# characters a shell takes literally outside quotes.
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789=/_.:,+@%-")
_KEY_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def _log(level: str, message: str, *args: object) -> None:
    import logging

    getattr(logging.getLogger(__name__), level)(message, *args)


class Settings(Value):
    __slots__ = ("partition", "lock_file", "lock_timeout", "host")
    partition: "Optional[str]"  # LABEL=.., UUID=.. or a device path; None: automatic
    lock_file: str
    lock_timeout: float
    host: Host

    def __init__(
        self,
        partition: "Optional[str]" = None,
        lock_file: "Optional[str]" = None,
        lock_timeout: float = 120.0,
        host: Host = HOST,
    ) -> None:
        self._set(partition, lock_file or settings_file.runtime().lock_file, lock_timeout, host)


def plain_setting(text: str, key: str) -> "Optional[str]":
    """`key`'s value in a file of plain `KEY=VALUE` lines and comments.

    Raises ValueError for anything else (quotes, `export`, expansions...):
    such a file is read by the parser (`configured_partition`). For a plain
    file both give the same value; the boot path reads it this way.
    """
    value = None
    for raw in text.split("\n"):
        line = raw.rstrip(" \t\r").lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        name, equals, word = line.partition("=")
        plain = (
            equals and name and name[0] in _KEY_START
            and all(c in _KEY_START or c.isdigit() for c in name) and set(word) <= _PLAIN
        )  # fmt: skip
        if not plain:
            raise ValueError("not a plain assignment")
        if name == key:
            value = word or None
    return value


def configured_partition(view: "View") -> "Optional[str]":
    """`partition=` from /etc/osconf.conf under the root (written by install)."""
    return settings_file.setting(view, "partition")


def disabled_by(view: "Files", host: Host) -> "Optional[str]":
    """Why osconf must not run, or None."""
    if view.exists(DISABLE_FILE):
        return f"{DISABLE_FILE} exists"
    if view.is_live:
        try:
            with open(os.path.join(host.proc, "cmdline")) as handle:
                words = handle.read().split()
        except (OSError, UnicodeDecodeError):
            words = []
        for word in words:
            key, _, value = word.partition("=")
            if key == KERNEL_SWITCH and value.lower() in _OFF:
                return f"kernel command line has {word}"
    return None


class locked:
    """An exclusive flock: one osconf at a time (boot service, watcher, manual).

    `with locked(path, timeout):` waits up to `timeout` seconds, then raises
    BusyError; LockError (exit 6 as well) when the file cannot be created.
    (A class rather than a contextlib generator: the boot path does not
    load contextlib.)
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.fd = -1

    def __enter__(self) -> None:
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o755, exist_ok=True)
            self.fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
        except OSError as err:
            from osconf.errors import LockError

            raise LockError(f"cannot take the lock {self.path}: {err.strerror}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    self._close()
                    raise
            if time.monotonic() >= deadline:
                self._close()
                from osconf.errors import BusyError

                raise BusyError(
                    f"another osconf holds {self.path} (waited {self.timeout:g} s)"
                ) from None
            time.sleep(0.1)

    def __exit__(
        self,
        kind: "Optional[Type[BaseException]]",
        value: "Optional[BaseException]",
        traceback: "Optional[TracebackType]",
    ) -> None:
        self._close()

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def reach(
    system: "System", settings: Settings, writable: bool = True
) -> "ContextManager[Tuple[str, Found, str]]":
    """The platform's os.conf path on the first partition, while reachable.

    Yields (the directory where the partition is, the partition, how it is
    reached). Locates the partition (by settings, /etc/osconf.conf or the
    disk of /) and mounts it if it is not mounted already, for the time of
    the `with`. `run` and `platform_file` share it.
    """
    from contextlib import contextmanager

    return contextmanager(_reach)(system, settings, writable)


def _reach(
    system: "System", settings: Settings, writable: bool
) -> "Iterator[Tuple[str, Found, str]]":
    spec = settings.partition or configured_partition(system)
    found = find(spec, settings.host)
    with reachable(found, settings.host, system, writable) as (top, how):
        yield top, found, how


def run(system: "System", options: "Options", settings: Settings) -> int:
    """The whole job on the platform's file; returns the exit code."""
    from osconf.errors import ApplyError, ConfigError, ExitCode, OsconfError

    reason = disabled_by(system, settings.host)
    if reason:
        _log("info", "osconf is disabled: %s", reason)
        state.record(system, state.Run(state.now(), "disabled", reason))
        return ExitCode.OK
    with locked(settings.lock_file, settings.lock_timeout):
        notify("STATUS=Looking for the first partition")
        keys = sshkeys.Boot(system)  # before this run is recorded: is it the first?
        try:
            with reach(system, settings) as (top, found, how):
                _log("info", "first partition %s (%s), %s", found.node, found.how, how)
                with conf_dir(top) as fd:
                    return _on_partition(system, options, top, fd, keys)
        except OsconfError as err:
            if not isinstance(err, (ConfigError, ApplyError)):
                state.record(system, state.Run(state.now(), "error", str(err)))
            raise
        finally:
            keys.finish()  # whatever happened to os.conf: sshd needs its keys


class PlatformConf(Value):
    """The platform's os.conf as read from the first partition (once)."""

    __slots__ = ("path", "data")
    path: str  # where it is, for messages
    data: bytes

    def __init__(self, path: str, data: bytes) -> None:
        self._set(path, data)


def platform_file(
    system: "System", settings: Settings, writable: bool = True
) -> "ContextManager[Optional[PlatformConf]]":
    """The platform's os.conf on the first partition (None when absent)."""
    from contextlib import contextmanager

    return contextmanager(_platform_file)(system, settings, writable)


def _platform_file(
    system: "System", settings: Settings, writable: bool
) -> "Iterator[Optional[PlatformConf]]":
    with reach(system, settings, writable) as (top, found, how):
        _log("debug", "first partition %s (%s), %s", found.node, found.how, how)
        with conf_dir(top) as fd:
            yield _read(top, fd)


def _read(top: str, fd: "Optional[int]") -> "Optional[PlatformConf]":
    """os.conf read once through the folder's descriptor (see locate.conf_dir)."""
    path = os.path.join(top, CONF_DIR, CONF_NAME)
    data = read_platform_conf(fd, path, CONF_LIMIT) if fd is not None else None
    return None if data is None else PlatformConf(path, data)


def _on_partition(
    system: "System",
    options: "Options",
    top: str,
    fd: "Optional[int]",
    keys: "Optional[sshkeys.Boot]" = None,
) -> int:
    from osconf.errors import ApplyError, ConfigError, ExitCode

    conf_file = _read(top, fd)
    if conf_file is None or fd is None:
        where = os.path.join(top, CONF_DIR, CONF_NAME)
        _log("info", "no %s: nothing to do", where)
        state.record(system, state.Run(state.now(), "absent", "no os.conf", where))
        notify("STATUS=No os.conf: nothing to do")
        return ExitCode.OK
    path = conf_file.path
    # Validation and planning are loaded only when there is a file: a boot
    # without os.conf is the common case and should cost the least.
    from osconf.runner import apply_conf, load_conf_bytes

    stamp = state.digest(conf_file.data)
    notify("STATUS=Applying os.conf")
    try:
        conf = load_conf_bytes(conf_file.data, path)
    except ConfigError as err:
        errors = [str(p) for p in err.problems if p.fatal]
        message = f"invalid, kept for a retry: {len(errors)} error(s): " + "; ".join(errors)
        state.record(system, state.Run(state.now(), "invalid", message, path, stamp))
        raise
    if keys is not None:
        keys.seen(conf)
    from osconf import applied

    identity = applied.identity(fd)
    earlier = applied.earlier(system, stamp, identity)
    if earlier is not None:
        return applied.delete_now(system, fd, path, stamp, earlier)
    report = apply_conf(conf, system, options)
    if not report.ok:
        message = "kept for a retry: " + "; ".join(report.failed)
        state.record(
            system,
            state.Run(state.now(), "failed", message, path, stamp, len(report.changed)),
        )
        report.raise_for_failures()
    try:
        consume(fd, path)
    except ApplyError as err:
        # Everything is applied; the file stays (a read-only partition).
        # Remembered, so that later boots do not apply it again: that would
        # undo what the operator changed since (a new password, say).
        applied.remember(system, stamp, identity, str(err))
        state.record(
            system, state.Run(state.now(), "failed", str(err), path, stamp, len(report.changed))
        )
        raise
    applied.forget(system)
    message = (
        f"applied and deleted: {len(report.changed)} changed, "
        f"{len(report.unchanged)} already in place"
    )
    _log("info", "%s %s", path, message)
    state.record(
        system, state.Run(state.now(), "applied", message, path, stamp, len(report.changed))
    )
    notify("STATUS=os.conf applied")
    return ExitCode.OK
