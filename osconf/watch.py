"""The watcher: looks for os.conf on the first partition and applies it.

It polls rather than using inotify: the file is written by the platform to
the disk, not through this kernel's file system, so change notifications
would not fire anyway, and a partition that is not mounted has nothing to
watch. A file that failed is not retried until its content changes (or the
next boot), so a broken os.conf does not fill the journal.
"""

import logging
import time
from typing import TYPE_CHECKING, Optional

from osconf import lifecycle, state
from osconf.errors import OsconfError

if TYPE_CHECKING:
    from osconf.lifecycle import Settings
    from osconf.options import Options
    from osconf.system import System

log = logging.getLogger(__name__)


def watch(
    system: "System", options: "Options", settings: "Settings", interval: float, once: bool
) -> int:
    failed_digest: Optional[str] = None
    code = 0
    while True:
        current: Optional[str] = None
        try:
            with lifecycle.platform_file(system, settings, writable=False) as path:
                current = state.digest(path.read_bytes()) if path is not None else None
            if current is not None and current != failed_digest:
                code = lifecycle.run(system, options, settings)
                failed_digest = None if code == 0 else current
        except OsconfError as err:
            log.error("%s", err)
            code = err.exit_code
            failed_digest = current
        if once:
            return code
        time.sleep(interval)
