"""An os.conf applied in full whose deletion failed (a read-only first
partition): remembered by digest and file identity in
`/var/lib/osconf/applied-not-deleted.json`, so that later runs do not apply
that same file again -- which would undo what the operator changed since,
a new password first of all -- and delete it once they can.

Only the full pipeline loads this (`osconf.lifecycle`, when there is a
file); the boot's fast path never does.
"""

import json
import logging
import os

from osconf import state
from osconf.locate import CONF_NAME, consume
from osconf.sd import notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from osconf.system import System

log = logging.getLogger(__name__)

APPLIED_NOT_DELETED = "/var/lib/osconf/applied-not-deleted.json"


def identity(fd: int) -> str:
    """os.conf's identity on the partition: any rewrite of the file (by the
    platform, or by hand) changes its inode, size, mtime or ctime."""
    st = os.stat(CONF_NAME, dir_fd=fd, follow_symlinks=False)
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def remember(system: "System", stamp: str, file_id: str, why: str) -> None:
    """Called when the delete of a file applied in full failed."""
    record = {"time": state.now(), "digest": stamp, "file": file_id, "why": why[:500]}
    try:
        system.write_file(APPLIED_NOT_DELETED, json.dumps(record) + "\n", 0o600, backup=False)
    except (OSError, ValueError) as err:
        log.error("cannot write %s: %s", APPLIED_NOT_DELETED, err)


def forget(system: "System") -> None:
    """Called once the file is deleted."""
    try:
        system.remove_file(APPLIED_NOT_DELETED, backup=False)
    except (OSError, ValueError) as err:
        log.error("cannot remove %s: %s", APPLIED_NOT_DELETED, err)


def earlier(system: "System", stamp: str, file_id: str) -> "Optional[str]":
    """When this very file (same digest, same identity) was applied in full
    by an earlier run that could not delete it: that run's time."""
    try:
        record = json.loads(system.read_text(APPLIED_NOT_DELETED) or "{}")
    except (OSError, ValueError, RecursionError) as err:
        log.warning("ignoring %s: %s", APPLIED_NOT_DELETED, str(err)[:200])
        return None
    if not isinstance(record, dict) or record.get("digest") != stamp:
        return None
    if record.get("file") != file_id or not isinstance(record.get("time"), str):
        return None
    return str(record["time"])[:40]


def delete_now(system: "System", fd: int, path: str, stamp: str, when: str) -> int:
    """The file an earlier run applied in full but could not delete: it is
    not applied again (that would undo what was changed since); deleted
    now if the partition allows it, else exit 5 again, recorded."""
    from osconf.errors import ApplyError, ExitCode

    log.warning("%s was applied in full at %s and not deleted: not applied again", path, when)
    try:
        consume(fd, path)
    except ApplyError as err:
        message = f"{err.failures[0]} (applied in full at {when}; not applied again)"
        state.record(system, state.Run(state.now(), "failed", message, path, stamp))
        raise ApplyError([message]) from None
    forget(system)
    message = f"applied in full at {when}, deleted now (not applied again)"
    log.info("%s %s", path, message)
    state.record(system, state.Run(state.now(), "applied", message, path, stamp))
    notify("STATUS=os.conf applied")
    return ExitCode.OK
