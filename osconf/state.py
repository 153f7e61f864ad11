"""The record of osconf's runs: `/var/lib/osconf/state.json` under the root.

Holds, for the newest runs, when, which file (by digest), the outcome and
a one-line message -- never a secret: the digest is taken over the file
with its `password=` line left out, so it cannot be used to guess the
password, and messages pass through the log's secret mask.

The file is JSON with one run per line, newest first. Recording a run
prepends one line and keeps the older lines as they are, without parsing
them: a boot without os.conf records its run without loading `json` (which
loads `re`), and a damaged record never fails a run (reading it,
`load`, gives no runs; the next record writes a sound file again).
"""

import os
import time

from osconf import log as oslog
from osconf.fileio import open_directory, open_regular, read_bounded
from osconf.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

    from osconf.system import System
    from osconf.view import View

STATE_FILE = "/var/lib/osconf/state.json"
HISTORY = 20
MAX_BYTES = 1024 * 1024  # far above HISTORY runs; a larger file is damaged
_HEAD = '{"version": 1, "runs": [\n'
_TAIL = "]}\n"
FIELDS = ("time", "outcome", "message", "source", "digest", "changes")
_MAX_TEXT = 4096  # a longer field in the record is cut


class Run(Value):
    __slots__ = FIELDS
    time: str  # ISO 8601, UTC
    outcome: str  # applied | invalid | failed | absent | disabled | error
    message: str
    source: str
    digest: str
    changes: int

    def __init__(
        self,
        time: str,
        outcome: str,
        message: str,
        source: str = "",
        digest: str = "",
        changes: int = 0,
    ) -> None:
        self._set(time, outcome, message, source, digest, changes)


def digest(data: bytes) -> str:
    """sha256 of the file without its password line (see module docstring).

    A password line as the parser reads it: blanks, an optional `export`
    followed by blanks (a tab as well as a space), then the key.
    """
    import hashlib
    import re

    password_line = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t]*(?:export[ \t]+)?password=")
    kept = [line for line in data.splitlines() if not password_line.match(line)]
    return "sha256:" + hashlib.sha256(b"\n".join(kept)).hexdigest()


def load(view: "View") -> "List[Run]":
    """The recorded runs, newest first; a damaged record counts as empty.

    The file is osconf's own but still input: whatever it holds (not JSON,
    nested a million deep, wrong types, a directory or FIFO in its place),
    nothing fails for it; the entries that make sense are kept.
    """
    return _load(view)[0]


def _load(view: "View") -> "Tuple[List[Run], bool]":
    """(runs, whether the file is damaged and should be moved aside)."""
    import json

    try:
        text = view.read_text(STATE_FILE)
    except (OSError, ValueError) as err:
        _warn(f"ignoring {STATE_FILE}: cannot read it: {err}")
        # A directory, FIFO or device in its place: moved aside too, so that
        # the record can be written again (a link loop or an unreadable
        # /var cannot be, and the write says why).
        from osconf.filekinds import NotRegularFileError

        return [], isinstance(err, (IsADirectoryError, NotRegularFileError))
    if not text:
        return [], False
    if len(text) > MAX_BYTES:
        _warn(f"ignoring {STATE_FILE}: larger than {MAX_BYTES} bytes")
        return [], True
    try:
        raw: Any = json.loads(text)
    except (ValueError, RecursionError) as err:
        _warn(f"ignoring {STATE_FILE}: not a valid record: {str(err)[:200]}")
        return [], True
    items = raw.get("runs") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        _warn(f"ignoring {STATE_FILE}: no list of runs in it")
        return [], True
    runs = [run for run in (_run(item) for item in items[: HISTORY * 10]) if run is not None]
    if len(runs) != len(items):
        _warn(f"{STATE_FILE}: {len(items) - len(runs)} damaged entries ignored")
    return runs, len(runs) != len(items)


def _run(item: "Any") -> "Optional[Run]":
    """One entry as a Run, None when any field has the wrong type."""
    if not isinstance(item, dict):
        return None
    texts = []
    for key in FIELDS[:5]:
        value = item.get(key, "" if key in ("source", "digest") else None)
        if not isinstance(value, str):
            return None
        texts.append(value[:_MAX_TEXT])
    changes = item.get("changes", 0)
    if not isinstance(changes, int) or isinstance(changes, bool) or changes < 0:
        return None
    return Run(texts[0], texts[1], texts[2], texts[3], texts[4], changes)


def _warn(message: str) -> None:
    import logging

    logging.getLogger(__name__).warning("%s", message)


def _string(text: str) -> str:
    """`text` as a JSON string: quotes, backslashes, controls and lone
    surrogates (undecodable bytes in a path) escaped; the rest as it is."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def line(run: Run) -> str:
    """One run as a JSON object on one line."""
    values = (
        _string(run.time), _string(run.outcome), _string(oslog.mask(run.message)),
        _string(oslog.mask(run.source)), _string(run.digest), str(int(run.changes)),
    )  # fmt: skip
    return "{" + ", ".join(_string(k) + ": " + v for k, v in zip(FIELDS, values)) + "}"


def render(run: Run, previous: str) -> str:
    """The record with `run` first and at most HISTORY - 1 runs of `previous`.

    Older runs are kept line by line when `previous` has the shape this
    function writes; any other content is dropped (it is damaged or foreign).
    """
    older: List[str] = []
    if previous.startswith(_HEAD) and previous.endswith(_TAIL):
        for kept in previous[len(_HEAD) : -len(_TAIL)].split("\n"):
            kept = kept[:-1] if kept.endswith(",") else kept
            if kept.startswith("{") and kept.endswith("}"):
                older.append(kept)
    return _HEAD + ",\n".join([line(run)] + older[: HISTORY - 1]) + "\n" + _TAIL


def record(system: "System", run: Run) -> None:
    """Adds `run` to the record. Never fails the run it records: a record
    that cannot be written (a full or read-only /var, a directory in its
    place) is an error in the log, and the run's own outcome stands; a
    damaged record is moved aside first (`osconf.damaged.move_aside`)."""
    runs, damaged = _load(system)
    try:
        if damaged:  # kept whole for the operator; its sound runs go on below
            from osconf.damaged import move_aside

            move_aside(system, STATE_FILE)
        previous = _HEAD + ",\n".join(line(r) for r in runs) + "\n" + _TAIL if runs else ""
        system.write_file(STATE_FILE, render(run, previous), 0o600, backup=False)
    except (OSError, ValueError) as err:
        import logging

        logging.getLogger(__name__).error("cannot record the run in %s: %s", STATE_FILE, err)


def record_on_host(run: Run, root: str = "/") -> None:
    """`record` with plain os calls, for the boot path (no `System`, no
    `json`). Confined like every write of osconf's: each directory from
    the root down is opened with O_NOFOLLOW (a missing one is made), the
    record is read as a regular file only, bounded and never blocking,
    then written next to itself, flushed, renamed over, and the directory
    flushed -- all through the directory's descriptor.

    Raises OSError or ValueError for anything else -- a link on the way, a
    FIFO or directory in the record's place, a record not in the shape
    `render` writes, a full or read-only /var -- and the caller hands the
    run over to the full pipeline, which resolves links inside the root,
    moves a damaged record aside and says what failed.
    """
    *folders, name = STATE_FILE.strip("/").split("/")
    fd = open_directory(root, folders, make=0o700)
    try:
        _replace_record(fd, name, run)
    finally:
        os.close(fd)


def _replace_record(dirfd: int, name: str, run: Run) -> None:
    shown = STATE_FILE
    previous = ""
    opened = open_regular(dirfd, name, shown)
    if opened is not None:
        try:
            previous = read_bounded(opened[0], MAX_BYTES, shown).decode("utf-8")
        finally:
            os.close(opened[0])
    if previous and not _sound(previous):
        raise ValueError(f"{shown} is not in the shape osconf writes")
    data = render(run, previous).encode("utf-8")
    temporary = f"{name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600, dir_fd=dirfd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    except BaseException:
        os.unlink(temporary, dir_fd=dirfd)
        raise
    os.fsync(dirfd)


def _sound(text: str) -> bool:
    """`text` is a record exactly as `render` writes it: each run a line
    that is one object (the full pipeline checks each with `json`)."""
    if not (text.startswith(_HEAD) and text.endswith("\n" + _TAIL)):
        return False
    lines = text[len(_HEAD) : -len(_TAIL) - 1].split("\n")
    for index, kept in enumerate(lines):
        if index < len(lines) - 1:
            if not kept.endswith(","):
                return False
            kept = kept[:-1]
        if not (kept.startswith("{") and kept.endswith("}")):
            return False
    return True


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
