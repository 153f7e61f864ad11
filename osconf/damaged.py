"""Damaged records of osconf's own (`state.json`, `network-state.json`)
kept aside for the operator: renamed to `NAME.damaged-STAMP` beside
themselves, the newest KEEP_DAMAGED kept. Loaded only when a record is
damaged (never by the boot's fast path)."""

import logging
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from osconf.system import System

log = logging.getLogger(__name__)

KEEP_DAMAGED = 3  # damaged records moved aside and kept, per file


def move_aside(system: "System", path: str) -> str:
    """Renames a damaged record of osconf's to `PATH.damaged-STAMP` beside
    it, for the operator to look at, and keeps the newest KEEP_DAMAGED of
    them. Goes through `System` (inside the root only); the damaged name
    itself is never followed: a link there is moved, not its target, and
    pruning removes only names of that pattern, links as links. Returns
    the new path; OSError when it cannot be moved."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    directory, name = os.path.split(path)
    base = f"{name}.damaged-{stamp}"
    # After the newest of this second: a pruned name is never taken again.
    numbers = [
        0 if n == base else int(n[len(base) + 1 :])
        for n in system.listdir(directory)
        if n == base or (n.startswith(base + "-") and _digits(n[len(base) + 1 :]))
    ]
    new_name = f"{base}-{max(numbers) + 1}" if numbers else base
    new_path = f"{directory}/{new_name}"
    system.rename(path, new_path)
    log.warning("%s is damaged: moved aside to %s", path, new_path)
    prefix = f"{name}.damaged-"
    old = sorted(
        (
            n
            for n in system.listdir(directory)
            if n.startswith(prefix) and _is_stamp(n[len(prefix) :])
        ),
        key=lambda n: (n[len(prefix) : len(prefix) + 16], len(n), n),
    )
    for stale in old[:-KEEP_DAMAGED]:
        try:
            system.remove_file(f"{directory}/{stale}", backup=False)
        except OSError as err:
            log.warning("cannot remove the old %s/%s: %s", directory, stale, err)
    return new_path


def _is_stamp(text: str) -> bool:
    """`20260101T000000Z`, optionally followed by `-N` (see `move_aside`)."""
    stamp, dash, number = text.partition("-")
    shaped = len(stamp) == 16 and stamp[8] == "T" and stamp[15] == "Z"
    return shaped and _digits(stamp[:8] + stamp[9:15]) and (not dash or _digits(number))


def _digits(text: str) -> bool:
    return bool(text) and all("0" <= c <= "9" for c in text)
