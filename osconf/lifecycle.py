"""One boot/watch/manual run on the platform's file, start to finish.

    disabled? -> lock -> locate partition -> os.conf there? -> validate ->
    plan -> apply -> all applied: delete os.conf -> record the run

os.conf is deleted only when every action succeeded; an invalid file or a
partial failure keeps it for the next boot or a manual retry, and the exit
code says which. Every outcome is recorded in the state file.
"""

import errno
import fcntl
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from osconf import sshkeys, state
from osconf.errors import ApplyError, BusyError, ConfigError, ExitCode, OsconfError
from osconf.locate import CONF_DIR, CONF_NAME, Host, find, reachable
from osconf.sd import notify

if TYPE_CHECKING:
    from osconf.options import Options
    from osconf.plan import View
    from osconf.system import System

log = logging.getLogger(__name__)

LOCK_FILE = "/run/osconf.lock"
CONFIG_FILE = "/etc/osconf.conf"
DISABLE_FILE = "/etc/osconf/disabled"
KERNEL_SWITCH = "osconf"  # osconf=off (or 0, no, false, disabled) on the kernel command line
_OFF = ("off", "0", "no", "false", "disabled")


@dataclass(frozen=True)
class Settings:
    partition: Optional[str] = None  # LABEL=.., UUID=.. or a device path; None: automatic
    lock_file: str = LOCK_FILE
    lock_timeout: float = 120.0
    host: Host = Host()


def configured_partition(view: "View") -> Optional[str]:
    """`partition=` from /etc/osconf.conf under the root (written by install)."""
    text = view.read_text(CONFIG_FILE)
    if not text:
        return None
    from osconf.parse import parse

    assignments, problems = parse(text.encode(), CONFIG_FILE)
    for problem in problems:
        log.warning("%s", problem)
    values = {a.key: a.value for a in assignments}
    return values.get("partition") or None


def disabled_by(view: "View", host: Host) -> Optional[str]:
    """Why osconf must not run, or None."""
    if view.exists(DISABLE_FILE):
        return f"{DISABLE_FILE} exists"
    if view.is_live:
        try:
            words = Path(host.proc, "cmdline").read_text().split()
        except OSError:
            words = []
        for word in words:
            key, _, value = word.partition("=")
            if key == KERNEL_SWITCH and value.lower() in _OFF:
                return f"kernel command line has {word}"
    return None


@contextmanager
def locked(path: str, timeout: float) -> Iterator[None]:
    """An exclusive flock: one osconf at a time (boot service, watcher, manual)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise BusyError(f"another osconf holds {path} (waited {timeout:g} s)") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def consume(path: Path) -> None:
    """Deletes os.conf for good: unlink, then fsync the directory."""
    os.unlink(path)
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(system: "System", options: "Options", settings: Settings) -> int:
    """The whole job on the platform's file; returns the exit code."""
    reason = disabled_by(system, settings.host)
    if reason:
        log.info("osconf is disabled: %s", reason)
        state.record(system, state.Run(state.now(), "disabled", reason))
        return ExitCode.OK
    with locked(settings.lock_file, settings.lock_timeout):
        spec = settings.partition or configured_partition(system)
        notify("STATUS=Looking for the first partition")
        keys = sshkeys.Boot(system)  # before this run is recorded: is it the first?
        try:
            found = find(spec, settings.host)
            with reachable(found, settings.host, system) as (top, how):
                log.info("first partition %s (%s), %s", found.node, found.how, how)
                return _on_partition(system, options, Path(top) / CONF_DIR / CONF_NAME, keys)
        except OsconfError as err:
            if not isinstance(err, (ConfigError, ApplyError)):
                state.record(system, state.Run(state.now(), "error", str(err)))
            raise
        finally:
            keys.finish()  # whatever happened to os.conf: sshd needs its keys


@contextmanager
def platform_file(
    system: "System", settings: Settings, writable: bool = True
) -> Iterator[Optional[Path]]:
    """The platform's os.conf on the first partition (None when absent)."""
    spec = settings.partition or configured_partition(system)
    found = find(spec, settings.host)
    with reachable(found, settings.host, system, writable) as (top, how):
        log.debug("first partition %s (%s), %s", found.node, found.how, how)
        path = Path(top) / CONF_DIR / CONF_NAME
        yield path if path.exists() else None


def _on_partition(
    system: "System", options: "Options", path: Path, keys: "Optional[sshkeys.Boot]" = None
) -> int:
    if not path.exists():
        log.info("no %s: nothing to do", path)
        state.record(system, state.Run(state.now(), "absent", "no os.conf", str(path)))
        notify("STATUS=No os.conf: nothing to do")
        return ExitCode.OK
    # Validation and planning are loaded only when there is a file: a boot
    # without os.conf is the common case and should cost the least.
    from osconf.runner import apply_conf, load_conf, read_conf

    stamp = state.digest(read_conf(path))
    notify("STATUS=Applying os.conf")
    try:
        conf = load_conf(path)
    except ConfigError as err:
        errors = [str(p) for p in err.problems if p.fatal]
        message = f"invalid, kept for a retry: {len(errors)} error(s): " + "; ".join(errors)
        state.record(system, state.Run(state.now(), "invalid", message, str(path), stamp))
        raise
    if keys is not None:
        keys.seen(conf)
    report = apply_conf(conf, system, options)
    if not report.ok:
        message = "kept for a retry: " + "; ".join(report.failed)
        state.record(
            system,
            state.Run(state.now(), "failed", message, str(path), stamp, len(report.changed)),
        )
        report.raise_for_failures()
    consume(path)
    message = f"applied and deleted: {len(report.changed)} change(s)"
    log.info("%s %s", path, message)
    state.record(
        system, state.Run(state.now(), "applied", message, str(path), stamp, len(report.changed))
    )
    notify("STATUS=os.conf applied")
    return ExitCode.OK
