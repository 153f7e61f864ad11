"""Logging set-up: the journal under systemd, stderr elsewhere; no secrets.

`SecretFilter` is defence in depth: every secret osconf has read is
registered here and masked in any record, whatever code tried to log it.

Loading this module costs nothing the boot path would not pay anyway:
`logging` is imported by `setup` (the full pipeline), and systemd-python's
journal module only when the first record is written to the journal. The
boot path without os.conf writes its few lines with `say`, which needs
neither. Under systemd, when systemd-python is not installed, records go to
stderr with sd-daemon priority prefixes (`<3>` error ... `<7>` debug),
which journald reads when stderr is its stream (`$JOURNAL_STREAM`).
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Optional, Set

IDENTIFIER = "osconf"
_MASK = "********"
# syslog priorities by logging level (the sd-daemon prefix of a line)
ERR, WARNING, INFO, DEBUG = 3, 4, 6, 7


class SecretFilter:
    """A logging filter (any object with `filter(record)` is one)."""

    def __init__(self) -> None:
        self.secrets: Set[str] = set()

    def filter(self, record: "logging.LogRecord") -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if any(s in text for s in self.secrets):
                record.exc_info = None
                record.exc_text = None
        return True


SECRETS = SecretFilter()


def register_secret(*values: str) -> None:
    """Masks these strings (longer than 3 characters) in every later log record."""
    SECRETS.secrets.update(v for v in values if len(v) > 3)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by a mask."""
    for secret in SECRETS.secrets:
        text = text.replace(secret, _MASK)
    return text


def under_systemd() -> bool:
    return "INVOCATION_ID" in os.environ or "JOURNAL_STREAM" in os.environ


def stderr_is_journal() -> bool:
    """stderr is journald's stream: `$JOURNAL_STREAM` names its device:inode."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = stream.partition(":")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return bool(inode) and f"{st.st_dev}:{st.st_ino}" == f"{device}:{inode}"


def line(priority: int, message: str) -> str:
    """One line for stderr: with its priority prefix for journald, else named."""
    if stderr_is_journal():
        return f"<{priority}>{mask(message)}\n"
    return f"{IDENTIFIER}: {mask(message)}\n"


def say(priority: int, message: str) -> None:
    """Writes one line without the logging machinery (the boot path's log)."""
    try:
        sys.stderr.write(line(priority, message))
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # no stderr at all: nowhere to say it


def setup(debug: bool = False, quiet: bool = False) -> None:
    import logging

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    root.setLevel(level)
    handler = _journal_handler() if under_systemd() else _stderr_handler()
    # The bound method: a callable filter, which every typeshed since 3.6 accepts.
    handler.addFilter(SECRETS.filter)
    root.addHandler(handler)


def _priority(levelno: int) -> int:
    import logging

    if levelno >= logging.ERROR:
        return ERR
    if levelno >= logging.WARNING:
        return WARNING
    return INFO if levelno >= logging.INFO else DEBUG


def _stderr_handler() -> "logging.Handler":
    import logging

    class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
        """One line a record; the sd-daemon prefix when stderr is the journal."""

        def format(self, record: logging.LogRecord) -> str:
            text = super().format(record)
            return line(_priority(record.levelno), text)[:-1]

    return StderrHandler(sys.stderr)


def _journal_handler() -> "logging.Handler":
    import logging

    class JournalOnDemand(logging.Handler):
        """Sends to the journal; systemd-python is loaded by the first record.

        Without systemd-python, records go to stderr with priority prefixes,
        which journald stores with the same priority.
        """

        def __init__(self) -> None:
            super().__init__()
            self._target: Optional[logging.Handler] = None

        def emit(self, record: logging.LogRecord) -> None:
            if self._target is None:
                try:
                    from systemd.journal import JournalHandler
                except ImportError:
                    self._target = _stderr_handler()
                else:
                    self._target = JournalHandler(SYSLOG_IDENTIFIER=IDENTIFIER)
            self._target.handle(record)

    return JournalOnDemand()
