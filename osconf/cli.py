"""Command line: `osconf COMMAND ...`; the one place errors become exit codes.

Each command lives in `osconf.commands.<name>` with `register(subparsers)`
and `run(args) -> int`; those modules import only the standard library at
load time so that `--help` and light commands start fast.
"""

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from osconf import __version__
from osconf.errors import ConfigError, ExitCode, OsconfError

COMMANDS = ("apply", "plan", "validate", "locate", "status", "watch", "install", "check-image")

log = logging.getLogger("osconf")


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, only the named command's module is
    loaded (every command is needed only for --help and usage errors)."""
    parser = argparse.ArgumentParser(
        prog="osconf",
        description="Apply Alibaba Cloud ECS os.conf settings (Customized Linux images).",
    )
    parser.add_argument("--version", action="version", version=f"osconf {__version__}")
    parser.add_argument("--debug", action="store_true", help="verbose log, tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    words = [w for w in (argv or ()) if not w.startswith("-")]
    chosen = [words[0]] if words and words[0] in COMMANDS else list(COMMANDS)
    if words and words[0] == "uninstall":  # registered by the install module
        chosen = ["install"]
    for name in chosen:
        module = importlib.import_module("osconf.commands." + name.replace("-", "_"))
        module.register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from osconf import log as oslog

    oslog.setup(debug=args.debug, quiet=args.quiet)
    try:
        code: int = args.run(args)
        return code
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        errors = sum(1 for p in err.problems if p.fatal)
        print(f"osconf: {errors} error(s): nothing was changed", file=sys.stderr)
        return err.exit_code
    except OsconfError as err:
        log.error("%s", err)
        if args.debug:
            log.debug("traceback", exc_info=True)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - the single last-resort handler
        if args.debug:
            log.exception("internal error")
        else:
            log.error(
                "internal error: %s: %s (run with --debug for details)", type(err).__name__, err
            )
        return ExitCode.INTERNAL
