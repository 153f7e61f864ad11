"""Typed errors, each with the exit code the CLI turns it into.

Pure code raises these; `osconf.cli.main` is the one place that catches them.
Messages never contain a secret: values of the `password` key are not quoted.
"""

from typing import Dict, List, Tuple, Union

from osconf.value import Value


class ExitCode:
    """The documented exit codes (README, "Exit codes")."""

    OK = 0
    INTERNAL = 1  # a bug: unexpected exception
    USAGE = 2  # bad command line (argparse uses 2 as well)
    INVALID_CONFIG = 3  # os.conf has invalid values: nothing was changed
    NOT_FOUND = 4  # partition / os.conf / target could not be located
    APPLY_FAILED = 5  # some actions failed; os.conf kept for a retry
    BUSY = 6  # another osconf run holds the lock
    UNSUPPORTED = 7  # the target's network stack could not be determined
    LAST_RUN_ERROR = 8  # `status`: the last run stopped before applying (see its message)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    BROKEN_PIPE = 141  # stdout's reader went away (128 + SIGPIPE)


# What each code means, in the words `--help`, the man page and the README
# use (one text: the man page is generated from the parser and this table).
MEANINGS: Dict[int, str] = {
    ExitCode.OK: "success, or nothing to do",
    ExitCode.INTERNAL: "internal error (a bug: rerun with --debug and report it)",
    ExitCode.USAGE: "bad command line",
    ExitCode.INVALID_CONFIG: "os.conf is invalid: every problem was printed, nothing was "
    "changed, the file is kept",
    ExitCode.NOT_FOUND: "not found: the first partition, os.conf, or the file given",
    ExitCode.APPLY_FAILED: "applying failed in part: what could be applied was, the failures "
    "were printed, os.conf is kept",
    ExitCode.BUSY: "another osconf run holds the lock, or the lock file cannot be created "
    "(read-only run-time directory): nothing was done",
    ExitCode.UNSUPPORTED: "the target's network stack could not be determined",
    ExitCode.LAST_RUN_ERROR: "the last run stopped on an error before applying anything "
    "(partition not found, lock busy, unknown stack, ...)",
}


class Problem(Value):
    """One finding about an os.conf: where it is, which key, what is wrong."""

    __slots__ = ("source", "line", "key", "message", "fatal")
    source: str
    line: int  # 1-based; 0 when the problem is about the file as a whole
    key: str  # "" when no key applies
    message: str
    fatal: bool

    def __init__(self, source: str, line: int, key: str, message: str, fatal: bool = True) -> None:
        self._set(source, line, key, message, fatal)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        kind = "error" if self.fatal else "warning"
        key = f" {self.key}:" if self.key else ""
        return f"{where}: {kind}:{key} {self.message}"


class OsconfError(Exception):
    """Base of every error osconf reports to its user."""

    exit_code = ExitCode.INTERNAL


class ConfigError(OsconfError):
    """os.conf cannot be used; carries every problem found, not just the first."""

    exit_code = ExitCode.INVALID_CONFIG

    def __init__(self, problems: Union[Tuple[Problem, ...], List[Problem]]) -> None:
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.fatal]
        first = str(errors[0]) if errors else "invalid configuration"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class LocateError(OsconfError):
    """The first partition, os.conf or the target root could not be found."""

    exit_code = ExitCode.NOT_FOUND


class ApplyError(OsconfError):
    """Applying failed in part; what could be applied was applied."""

    exit_code = ExitCode.APPLY_FAILED

    def __init__(self, failures: Union[Tuple[str, ...], List[str]]) -> None:
        self.failures = tuple(failures)
        super().__init__(f"{len(self.failures)} action(s) failed: " + "; ".join(self.failures))


class BusyError(OsconfError):
    """Another osconf process holds the lock."""

    exit_code = ExitCode.BUSY


class LockError(BusyError):
    """The lock cannot be taken at all: its file cannot be created or opened
    (a read-only or missing run-time directory). The same code as a busy
    lock -- osconf did not run, nothing was changed -- and the message says
    which."""


class UnsupportedError(OsconfError):
    """The target lacks what osconf needs (e.g. no known network stack)."""

    exit_code = ExitCode.UNSUPPORTED
