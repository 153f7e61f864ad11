"""Logging set-up: the journal under systemd, stderr elsewhere; no secrets.

`SecretFilter` is defence in depth: every secret osconf has read is
registered here and masked in any record, whatever code tried to log it.
"""

import logging
import os
import sys
from typing import Optional, Set

IDENTIFIER = "osconf"
_MASK = "********"


class SecretFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: Set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, _MASK)
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


def _journal_handler() -> Optional[logging.Handler]:
    try:
        from systemd.journal import JournalHandler
    except ImportError:
        return None
    handler: logging.Handler = JournalHandler(SYSLOG_IDENTIFIER=IDENTIFIER)
    return handler


def setup(debug: bool = False, quiet: bool = False) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    root.setLevel(level)
    handler = _journal_handler() if under_systemd() else None
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{IDENTIFIER}: %(message)s"))
    handler.addFilter(SECRETS)
    root.addHandler(handler)
