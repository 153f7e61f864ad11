"""The watcher (opt-in: `osconf install --watch`): applies an os.conf that
appears while the system runs.

It polls rather than using inotify: the file is written by the platform to
the disk, not through this kernel's file system, so change notifications
would not fire anyway, and a partition that is not mounted has nothing to
watch. Quiet by design, since it runs forever:

* it works in a private mount namespace (slave: the system's mounts reach it,
  its own never reach the system), so mounting the first partition read-only
  for a look creates no systemd mount unit and no journal line;
* it reads at most the size limit of os.conf, to take the file's digest;
* it logs nothing while nothing changed: a file is applied once per
  content; a file that failed (or that the boot run already found invalid:
  read from the state file) is not retried or reported again until its
  content changes; the same error (partition missing, ...) is logged once.
"""

import ctypes
import errno
import logging
import os
import signal
import sys
import time
from typing import TYPE_CHECKING, Optional

from osconf import lifecycle, state
from osconf.errors import OsconfError

if TYPE_CHECKING:
    from osconf.lifecycle import Settings
    from osconf.options import Options
    from osconf.system import System

log = logging.getLogger(__name__)

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_SLAVE = 1 << 19
# Outcomes after which the same file is not tried again: it is reported.
REPORTED = ("invalid", "failed")


def private_mounts() -> None:
    """Moves this process into its own mount namespace (see module doc)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"unshare(CLONE_NEWNS): {os.strerror(code)}")
    if libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"making / a slave mount: {os.strerror(code)}")


def last_reported(system: "System") -> Optional[str]:
    """The digest of the file the newest run rejected or failed on, if any."""
    runs = state.load(system)
    if runs and runs[0].outcome in REPORTED and runs[0].digest:
        return runs[0].digest
    return None


def _stop(signum: int, frame: object) -> None:
    sys.exit(0)


def watch(
    system: "System", options: "Options", settings: "Settings", interval: float, once: bool
) -> int:
    # With --root too: the partition is the host's either way, and a mount
    # left by a watcher that was killed must not outlive it in the host's
    # namespace.
    try:
        private_mounts()
    except OSError as err:
        level = logging.DEBUG if err.errno == errno.EPERM and once else logging.WARNING
        log.log(level, "mounts stay visible to the system: %s", err.strerror or err)
    # Stopped (SIGTERM from systemd or an administrator): leave through the
    # context managers, so a partition mounted for a look is unmounted.
    signal.signal(signal.SIGTERM, _stop)
    done = last_reported(system)
    reported_error: Optional[str] = None
    code = 0
    while True:
        current: Optional[str] = None
        try:
            with lifecycle.platform_file(system, settings, writable=False) as found:
                current = state.digest(found.data) if found is not None else None
            reported_error = None
            if current is not None and current != done:
                code = lifecycle.run(system, options, settings)
                done = None if code == 0 else current
        except OsconfError as err:
            code = err.exit_code
            if current is not None:
                done = current  # a new file's outcome: reported once, not retried
                log.error("%s", err)
            elif str(err) != reported_error:
                log.error("%s", err)
                reported_error = str(err)
        if once:
            return code
        time.sleep(interval)
