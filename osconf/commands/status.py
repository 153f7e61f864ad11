"""`osconf status`: the outcome of the latest runs (from the state file), in
the manner of `cloud-init status`: one short line first, `--long` for the
detail; the exit code says whether the last run needs the operator."""

import argparse
import re
import textwrap
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from osconf import output
from osconf.commands.apply import root_directory
from osconf.errors import ExitCode

if TYPE_CHECKING:
    from osconf.state import Run

NOT_RUN = "not-run"
# The last run's outcome -> status's exit code (README, "Exit codes").
CODES = {
    "applied": ExitCode.OK,
    "absent": ExitCode.OK,
    "disabled": ExitCode.OK,
    NOT_RUN: ExitCode.OK,
    "invalid": ExitCode.INVALID_CONFIG,
    "failed": ExitCode.APPLY_FAILED,
    "error": ExitCode.LAST_RUN_ERROR,
}
EXIT_CODES = {
    "status": (
        (0, "the last run applied os.conf, found none, or osconf is disabled (or never ran)"),
        1,
        2,
        (3, "the last run found os.conf invalid: nothing was changed, the file is kept"),
        (5, "the last run failed in part: the file is kept for a retry"),
        8,
    )
}
# The private directory the boot run mounts the first partition in
# (osconf.locate.MOUNT_BASE) has a random name: it says nothing to the
# operator and made one failed run a line of ~900 characters.
_MOUNT_POINT = re.compile(r"/run/osconf/mnt-[^/\s:;'\"]+")
PARTITION = "[first partition]"
SHORT = 100
_PREFIXES = {"invalid": "invalid, kept for a retry: ", "failed": "kept for a retry: "}


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "status",
        help="show what the latest run did",
        description="Show the outcome of osconf's latest run on the platform's os.conf "
        "(boot, watch or 'osconf apply' without --conf) from /var/lib/osconf/state.json: "
        "one line 'status: applied|absent|disabled|invalid|failed|error|not-run', when and "
        "what; --long adds the detail and the history.",
    )
    parser.add_argument("--root", type=root_directory, default="/", help="target root (default: /)")
    parser.add_argument("--long", action="store_true", help="the detail and the newest runs")
    parser.add_argument(
        "-n", type=int, default=5, metavar="N", help="runs in --long's history (default 5)"
    )
    output.add_format_argument(parser)
    parser.set_defaults(run=run)


def collapse(text: str) -> str:
    return _MOUNT_POINT.sub(PARTITION, text)


def describe(item: "Run") -> Tuple[str, List[str]]:
    """(a short summary, the detail one item a line) of a recorded run."""
    text = collapse(item.message)
    prefix = _PREFIXES.get(item.outcome, "")
    if prefix and text.startswith(prefix):
        rest = text[len(prefix) :]
        if item.outcome == "invalid":
            count, _, problems = rest.partition(": ")
            return f"os.conf is invalid ({count}), kept for a retry", problems.split("; ")
        failures = rest.split("; ")
        return (
            f"{len(failures)} action(s) failed, {item.changes} changed; os.conf kept for a retry",
            failures,
        )
    if len(text) <= SHORT:
        return text, []
    return text[: SHORT - 3] + "...", [text]


def as_json(item: "Run") -> Dict[str, Any]:
    summary, detail = describe(item)
    return {
        "time": item.time,
        "status": item.outcome,
        "summary": summary,
        "detail": detail,
        "source": collapse(item.source) or None,
        "digest": item.digest or None,
        "changes": item.changes,
    }


def run(args: argparse.Namespace) -> int:
    from osconf import state
    from osconf.system import System

    runs = state.load(System(args.root))
    outcome = runs[0].outcome if runs else NOT_RUN
    code = CODES.get(outcome, ExitCode.LAST_RUN_ERROR)
    if output.wants_json(args):
        fields: Dict[str, Any] = {"status": outcome, "last": as_json(runs[0]) if runs else None}
        fields["runs"] = [as_json(r) for r in runs[: max(args.n, 1)]] if args.long else []
        return output.emit("status", code, fields)
    if not runs:
        print(f"status: {NOT_RUN} (no run of osconf recorded under {args.root})")
        return code
    last = runs[0]
    summary, detail = describe(last)
    print(f"status: {outcome} at {last.time}: {summary}")
    if not args.long:
        return code
    print(f"source:  {collapse(last.source) or '-'}")
    print(f"digest:  {last.digest or '-'}")
    print(f"changes: {last.changes}")
    if detail:
        print("detail:")
        for line in detail:
            print(textwrap.fill(line, width=SHORT, initial_indent="  - ", subsequent_indent="    "))
    print("history (newest first):")
    for item in runs[: max(args.n, 1)]:
        print(f"  {item.time}  {item.outcome:<8}  {describe(item)[0]}")
    return code
