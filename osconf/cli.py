"""Command line: `osconf COMMAND ...`; the one place errors become exit codes.

Each command lives in `osconf.commands.<module>` with `register(subparsers)`
and `run(args) -> int`, and may declare `EXIT_CODES = {command: (codes...)}`
(shown by its `--help` and the man page); those modules import only the
standard library at load time so that `--help` and light commands start
fast. A new command is one line in `COMMANDS` and one module.
"""

import argparse
import importlib
import logging
import os
import sys
import textwrap
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from osconf import __version__
from osconf.errors import MEANINGS, ConfigError, ExitCode, OsconfError

# (command, module under osconf.commands), in the order --help lists them.
COMMANDS: Tuple[Tuple[str, str], ...] = (
    ("apply", "apply"),
    ("plan", "plan"),
    ("validate", "validate"),
    ("locate", "locate"),
    ("status", "status"),
    ("watch", "watch"),
    ("install", "install"),
    ("uninstall", "install"),
    ("check-image", "check_image"),
)
MODULES: Dict[str, str] = dict(COMMANDS)

DESCRIPTION = "Apply Alibaba Cloud ECS os.conf settings (Customized Linux images)."

log = logging.getLogger("osconf")


def _add_global_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """--debug and -q, accepted before and after the command: on the
    sub-command's parser they default to SUPPRESS so that leaving them out
    there does not undo the same option given before the command."""
    default: Any = False if top else argparse.SUPPRESS
    parser.add_argument(
        "--debug", action="store_true", default=default, help="verbose log, tracebacks on errors"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="warnings and errors only"
    )


# A command's exit codes: a code, or (code, what it means for this command).
Codes = Sequence[Union[int, Tuple[int, str]]]


def exit_codes(codes: Codes) -> List[Tuple[int, str]]:
    return [(c, MEANINGS[c]) if isinstance(c, int) else c for c in codes]


def exit_code_text(codes: Codes) -> str:
    lines = ["exit codes:"]
    for code, meaning in exit_codes(codes):
        lines.append(
            textwrap.fill(
                meaning, width=78, initial_indent=f"  {code:<3}", subsequent_indent=" " * 5
            )
        )
    return "\n".join(lines)


def _columns() -> int:
    """shutil.get_terminal_size().columns, without importing shutil (and
    bz2, lzma, fnmatch behind it) on every run: argparse makes a formatter
    for each option it adds, and its own asks shutil for the width."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stream = sys.__stdout__
        try:
            columns = os.get_terminal_size(stream.fileno()).columns if stream else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text with line breaks (the
    exit-code tables) as it is."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: Optional[int] = None,
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() if width is None else width
        )

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _format_usage(self, *args: Any) -> str:
        try:
            return super()._format_usage(*args)
        except AssertionError:
            # argparse asserts while wrapping a usage line that has a mutually
            # exclusive group of hidden options (watch's --live/--no-live):
            # print that line unwrapped instead of a traceback.
            width, self._width = self._width, 1 << 20
            try:
                return super()._format_usage(*args)
            finally:
                self._width = width


def command_word(argv: Sequence[str]) -> Optional[str]:
    """The sub-command named in argv (global options take no values)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, only the named command's module is
    loaded (every command is needed only for --help and usage errors)."""
    parser = _Parser(
        prog="osconf",
        description=DESCRIPTION,
        epilog="Run 'osconf COMMAND --help' for a command's options and exit codes.",
    )
    parser.exit_codes = sorted(MEANINGS)
    parser.add_argument("--version", action="version", version=f"osconf {__version__}")
    _add_global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    word = command_word(argv or ())
    modules: List[str] = []
    for _name, module in COMMANDS if word not in MODULES else ((word, MODULES[word]),):
        if module not in modules:
            modules.append(module)
    for name in modules:
        _register(sub, name)
    return parser


class _Parser(argparse.ArgumentParser):
    """osconf's parsers: its formatter from the start (argparse's default
    one is made, and asks shutil, for every option added), and the exit-code
    table appended to the epilog when help is printed, not at every run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.exit_codes: Optional[Codes] = None

    def format_help(self) -> str:
        if self.exit_codes is not None:
            table = exit_code_text(self.exit_codes)
            self.epilog = "\n\n".join(t for t in (self.epilog, table) if t)
            self.exit_codes = None
        return super().format_help()


def _register(sub: "argparse._SubParsersAction[_Parser]", module: str) -> None:
    before = set(sub.choices)
    loaded = importlib.import_module(f"osconf.commands.{module}")
    loaded.register(sub)
    declared: Dict[str, Codes] = getattr(loaded, "EXIT_CODES", {})
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, parser in sub.choices.items():
        if name in before:
            continue
        _add_global_options(parser, top=False)
        parser.formatter_class = HelpFormatter
        if parser.description is None:
            parser.description = helps.get(name)
        parser.exit_codes = declared.get(name, tuple(sorted(MEANINGS)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        code = _main(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # here, not at exit, where a closed pipe is exit 120
        return code
    except BrokenPipeError:
        # The reader of stdout went away (`osconf plan | head`): not osconf's
        # error, and no traceback; the usual status of a process killed by
        # SIGPIPE. stdout is pointed at /dev/null so the final flush is quiet.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        return ExitCode.BROKEN_PIPE


def _main(argv: Sequence[str]) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from osconf import log as oslog
    from osconf import output

    oslog.setup(debug=args.debug, quiet=args.quiet)
    as_json = output.wants_json(args)
    try:
        code: int = args.run(args)
        return code
    except ConfigError as err:
        if as_json:
            return output.emit_error(args.command, err.exit_code, str(err), err.problems)
        for problem in err.problems:
            print(problem, file=sys.stderr)
        errors = sum(1 for p in err.problems if p.fatal)
        print(f"osconf: {errors} error(s): nothing was changed", file=sys.stderr)
        return err.exit_code
    except OsconfError as err:
        log.error("%s", err)
        if args.debug:
            log.debug("traceback", exc_info=True)
        if as_json:
            return output.emit_error(args.command, err.exit_code, str(err))
        return err.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        raise  # handled in main()
    except Exception as err:  # noqa: BLE001 - the single last-resort handler
        if args.debug:
            log.exception("internal error")
        else:
            log.error(
                "internal error: %s: %s (run with --debug for details)", type(err).__name__, err
            )
        if as_json:
            return output.emit_error(
                args.command, ExitCode.INTERNAL, f"internal error: {type(err).__name__}: {err}"
            )
        return ExitCode.INTERNAL
