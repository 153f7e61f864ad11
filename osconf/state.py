"""The record of osconf's runs: `/var/lib/osconf/state.json` under the root.

Holds, for the newest runs, when, which file (by digest), the outcome and
a one-line message -- never a secret: the digest is taken over the file
with its `password=` line left out, so it cannot be used to guess the
password, and messages pass through the log's secret mask.
"""

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from osconf import log as oslog

if TYPE_CHECKING:
    from osconf.plan import View
    from osconf.system import System

log = logging.getLogger(__name__)

STATE_FILE = "/var/lib/osconf/state.json"
HISTORY = 20
_MAX_TEXT = 4096  # a longer message in the record is cut


@dataclass(frozen=True)
class Run:
    time: str  # ISO 8601, UTC
    outcome: str  # applied | invalid | failed | absent | disabled | error
    message: str
    source: str = ""
    digest: str = ""
    changes: int = 0


# A password line as the parser reads it: blanks, an optional `export`
# followed by blanks (a tab as well as a space), then the key.
_PASSWORD_LINE = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t]*(?:export[ \t]+)?password=")


def digest(data: bytes) -> str:
    """sha256 of the file without its password line (see module docstring)."""
    kept = [line for line in data.splitlines() if not _PASSWORD_LINE.match(line)]
    return "sha256:" + hashlib.sha256(b"\n".join(kept)).hexdigest()


def load(view: "View") -> List[Run]:
    """The recorded runs, newest first; a damaged record counts as empty.

    The file is osconf's own but still input: whatever it holds (not JSON,
    nested a million deep, wrong types, a directory or FIFO in its place),
    a boot is never failed for it; the entries that make sense are kept.
    """
    return _load(view)[0]


def _load(view: "View") -> Tuple[List[Run], bool]:
    """(runs, whether the file is damaged and should be moved aside)."""
    try:
        text = view.read_text(STATE_FILE)
    except (OSError, ValueError) as err:
        log.warning("ignoring %s: cannot read it: %s", STATE_FILE, err)
        return [], False
    if not text:
        return [], False
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as err:
        log.warning("ignoring %s: not a valid record: %s", STATE_FILE, str(err)[:200])
        return [], True
    items = raw.get("runs") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        log.warning("ignoring %s: no list of runs in it", STATE_FILE)
        return [], True
    runs = [run for run in (_run(item) for item in items[: HISTORY * 10]) if run is not None]
    if len(runs) != len(items):
        log.warning("%s: %d damaged entries ignored", STATE_FILE, len(items) - len(runs))
    return runs, len(runs) != len(items)


def _run(item: Any) -> Optional[Run]:
    if not isinstance(item, dict):
        return None
    texts = []
    for key in ("time", "outcome", "message", "source", "digest"):
        value = item.get(key, "" if key in ("source", "digest") else None)
        if not isinstance(value, str):
            return None
        texts.append(value[:_MAX_TEXT])
    changes = item.get("changes", 0)
    if not isinstance(changes, int) or isinstance(changes, bool) or changes < 0:
        return None
    return Run(texts[0], texts[1], texts[2], texts[3], texts[4], changes)


def record(system: "System", run: Run) -> None:
    """Adds `run` to the record. Never fails the run it records: a record
    that cannot be written (a full or read-only /var, a directory in its
    place) is an error in the log, and the run's own outcome stands."""
    safe = Run(
        run.time, run.outcome, oslog.mask(run.message), oslog.mask(run.source),
        run.digest, run.changes,
    )  # fmt: skip
    previous, damaged = _load(system)
    try:
        if damaged:
            aside = STATE_FILE + ".damaged"
            system.rename(STATE_FILE, aside)
            log.warning("moved the damaged %s aside to %s", STATE_FILE, aside)
        runs = [safe] + previous[: HISTORY - 1]
        text = json.dumps({"version": 1, "runs": [asdict(r) for r in runs]}, indent=1) + "\n"
        system.write_file(STATE_FILE, text, 0o600, backup=False)
    except (OSError, ValueError) as err:
        log.error("cannot record the run in %s: %s", STATE_FILE, err)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
