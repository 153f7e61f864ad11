"""Reads the shell-assignment subset the platform writes, without a shell.

`parse(data, source)` turns raw bytes into `Assignment`s plus `Problem`s. It
understands what a POSIX shell would make of `KEY=VALUE` lines with bare,
"double" and 'single' quoted words, comments and blank lines, tolerates CRLF,
a UTF-8 BOM and trailing blanks -- and executes nothing: `$` expansions and
backquotes, which a shell would run, are reported as errors.
"""

import re
from typing import List, Optional, Tuple

from osconf.errors import Problem
from osconf.value import Value

MAX_BYTES = 256 * 1024  # a real os.conf is well under 1 KiB
# Room for a route list of 2,000 entries (~26 bytes each) on one line.
MAX_LINE = 64 * 1024

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANK = " \t"
# Inside double quotes a backslash escapes only these (POSIX 2.2.3).
_DQ_ESCAPABLE = '$`"\\'


class Assignment(Value):
    __slots__ = ("key", "value", "line")
    key: str
    value: str
    line: int

    def __init__(self, key: str, value: str, line: int) -> None:
        self._set(key, value, line)


class _LineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _word(text: str, pos: int) -> Tuple[str, int]:
    """Reads one shell word starting at `pos`; returns (value, end)."""
    out: List[str] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in _BLANK:
            break
        if ch == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                raise _LineError("unterminated single quote")
            out.append(text[pos + 1 : end])
            pos = end + 1
        elif ch == '"':
            pos += 1
            while True:
                if pos >= n:
                    raise _LineError("unterminated double quote")
                ch = text[pos]
                if ch == '"':
                    pos += 1
                    break
                if ch == "\\" and pos + 1 < n and text[pos + 1] in _DQ_ESCAPABLE:
                    out.append(text[pos + 1])
                    pos += 2
                    continue
                if ch in "$`":
                    raise _LineError(
                        f"'{ch}' would make a shell expand or run something; escape or quote it"
                    )
                out.append(ch)
                pos += 1
        elif ch == "\\":
            if pos + 1 >= n:
                raise _LineError("line continuation with '\\' is not supported")
            out.append(text[pos + 1])
            pos += 2
        elif ch in "$`":
            raise _LineError(
                f"'{ch}' would make a shell expand or run something; escape or quote it"
            )
        elif ch in ";&|<>()":
            hint = " (a template placeholder left in?)" if ch == "<" else ""
            raise _LineError(f"shell operator '{ch}' in an unquoted value{hint}")
        else:
            out.append(ch)
            pos += 1
    return "".join(out), pos


def _line(text: str) -> Optional[Tuple[str, str]]:
    """Parses one logical line: None for blank/comment, else (key, value)."""
    stripped = text.strip(_BLANK)
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("export") and stripped[6:7] in (" ", "\t"):
        stripped = stripped[7:].lstrip(_BLANK)
    match = _KEY.match(stripped)
    if match is None or stripped[match.end() : match.end() + 1] != "=":
        raise _LineError("expected KEY=VALUE")
    key = match.group(0)
    value, pos = _word(stripped, match.end() + 1)
    rest = stripped[pos:].lstrip(_BLANK)
    if rest and not rest.startswith("#"):
        raise _LineError(f"{key}: unquoted blank in the value (quote values that contain spaces)")
    return key, value


def parse(
    data: bytes, source: str = "os.conf"
) -> Tuple[Tuple[Assignment, ...], Tuple[Problem, ...]]:
    """Splits `data` into assignments; problems are collected, never raised.

    Repeated keys keep every assignment here (the validator lets the last one
    win and warns); a line that cannot be read is a fatal problem.
    """
    problems: List[Problem] = []
    if len(data) > MAX_BYTES:
        problems.append(
            # Callers read at most MAX_BYTES + 1 bytes: the true size is unknown.
            Problem(source, 0, "", f"file is larger than the {MAX_BYTES} bytes allowed")
        )
        return (), tuple(problems)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    assignments: List[Assignment] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if b"\0" in raw:
            problems.append(Problem(source, number, "", "NUL byte in line (binary data?)"))
            continue
        if len(raw) > MAX_LINE:
            problems.append(Problem(source, number, "", f"line longer than {MAX_LINE} bytes"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(source, number, "", "line is not valid UTF-8"))
            continue
        try:
            parsed = _line(text)
        except _LineError as err:
            key_match = _KEY.match(text.strip(_BLANK))
            key = key_match.group(0) if key_match and "=" in text else ""
            message = err.message
            if key and message.startswith(key + ": "):
                message = message[len(key) + 2 :]
            problems.append(Problem(source, number, key, message))
            continue
        if parsed is not None:
            assignments.append(Assignment(parsed[0], parsed[1], number))
    return tuple(assignments), tuple(problems)
