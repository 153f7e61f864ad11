"""The record of osconf's runs: `/var/lib/osconf/state.json` under the root.

Holds, for the newest runs, when, which file (by digest), the outcome and
a one-line message -- never a secret: the digest is taken over the file
with its `password=` line left out, so it cannot be used to guess the
password, and messages pass through the log's secret mask.
"""

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, List

from osconf import log as oslog

if TYPE_CHECKING:
    from osconf.plan import View
    from osconf.system import System

STATE_FILE = "/var/lib/osconf/state.json"
HISTORY = 20


@dataclass(frozen=True)
class Run:
    time: str  # ISO 8601, UTC
    outcome: str  # applied | invalid | failed | absent | disabled | error
    message: str
    source: str = ""
    digest: str = ""
    changes: int = 0


def digest(data: bytes) -> str:
    """sha256 of the file without its password line (see module docstring)."""
    kept = [
        line
        for line in data.splitlines()
        if not line.lstrip().lstrip(b"\xef\xbb\xbf").startswith((b"password=", b"export password="))
    ]
    return "sha256:" + hashlib.sha256(b"\n".join(kept)).hexdigest()


def load(view: "View") -> List[Run]:
    text = view.read_text(STATE_FILE)
    if not text:
        return []
    try:
        raw: Any = json.loads(text)
        return [Run(**item) for item in raw.get("runs", [])]
    except (ValueError, TypeError, AttributeError):
        return []  # a damaged record is not worth failing a boot for


def record(system: "System", run: Run) -> None:
    safe = Run(
        run.time, run.outcome, oslog.mask(run.message), oslog.mask(run.source),
        run.digest, run.changes,
    )  # fmt: skip
    runs = [safe, *load(system)][:HISTORY]
    text = json.dumps({"version": 1, "runs": [asdict(r) for r in runs]}, indent=1) + "\n"
    system.write_file(STATE_FILE, text, 0o600, backup=False)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
