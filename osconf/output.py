"""Machine-readable output: `--format json`, one versioned document per run.

Every JSON document osconf prints is one object on stdout with
`"schema": "osconf/1"`, the `command` and `ok`/`exit_code`, then the
command's own fields (README, "Machine-readable output"). A command that
wants `--format` calls `add_format_argument(parser)` and prints through
`emit()`; an error that ends the command becomes the same envelope with an
`error` member (`osconf.cli`). The schema name changes only when a field is
removed or changes meaning; new fields may be added within `osconf/1`.

Every string passes through the log's secret mask on the way out.
"""

import argparse
from typing import Any, Dict, Iterable, List, Optional

from osconf import log as oslog
from osconf.errors import Problem

SCHEMA = "osconf/1"
FORMATS = ("text", "json")


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text for people (default) or json (schema osconf/1, see osconf(8))",
    )


def wants_json(args: argparse.Namespace) -> bool:
    return getattr(args, "format", "text") == "json"


def problem(item: Problem) -> Dict[str, Any]:
    return {
        "source": item.source,
        "line": item.line,
        "key": item.key,
        "severity": "error" if item.fatal else "warning",
        "message": item.message,
    }


def problems(items: Iterable[Problem]) -> List[Dict[str, Any]]:
    return [problem(p) for p in items]


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return oslog.mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def document(command: str, exit_code: int, fields: Dict[str, Any]) -> Dict[str, Any]:
    head: Dict[str, Any] = {
        "schema": SCHEMA,
        "command": command,
        "ok": exit_code == 0,
        "exit_code": exit_code,
    }
    head.update(fields)
    masked: Dict[str, Any] = _masked(head)
    return masked


def emit(command: str, exit_code: int, fields: Dict[str, Any]) -> int:
    """Prints the document for `command`; returns `exit_code` for the caller."""
    import json  # only when a document is printed

    print(json.dumps(document(command, exit_code, fields), indent=2, sort_keys=False))
    return exit_code


def emit_error(
    command: str, exit_code: int, message: str, found: Optional[Iterable[Problem]] = None
) -> int:
    error: Dict[str, Any] = {"message": message}
    if found is not None:
        error["problems"] = problems(found)
    return emit(command, exit_code, {"error": error})
