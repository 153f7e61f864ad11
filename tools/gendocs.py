#!/usr/bin/env python3
"""Generates osconf(8) and the bash completion from the argparse parser.

One text to keep: every command, option, description and exit code comes
from `osconf.cli.build_parser()` and `osconf.errors.MEANINGS` -- the same
source `--help` prints -- and the few sections --help has no room for are
below. The outputs are checked in (man/osconf.8, completion/osconf) and
tests/unit/test_cli_docs.py fails when they are not current:

    python3 tools/gendocs.py          # rewrite them
    python3 tools/gendocs.py --check  # exit 1 when they differ
"""

import argparse
import os
import sys
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

os.environ["COLUMNS"] = "1000"  # usage lines unwrapped: the man page wraps them

from osconf import __version__  # noqa: E402
from osconf.cli import build_parser, exit_codes  # noqa: E402
from osconf.errors import MEANINGS  # noqa: E402

MAN = os.path.join(REPO, "man", "osconf.8")
COMPLETION = os.path.join(REPO, "completion", "osconf")

# The sections --help has no room for: (title, paragraphs). A paragraph
# starting with "* " is a list item.
SECTIONS: List[Tuple[str, List[str]]] = [
    (
        "DESCRIPTION",
        [
            'osconf applies the settings Alibaba Cloud ECS writes for "Customized Linux" '
            "images into aliyun_custom_image/os.conf on the first partition of the system "
            "disk: host name, root password, NIC addresses, routes and name servers. At "
            "every boot (osconf.service, or the SysV script) it finds the partition, reads "
            "the file without a shell, checks every value, applies everything to the image's "
            "own files and, on the running system, to the kernel over netlink, and deletes "
            "the file only once all of it was applied. An invalid file changes nothing and is "
            "kept; a partial failure applies what it can and keeps the file for a retry.",
            "The root password never appears in a log, the journal, a state file, a JSON "
            "document or a command line.",
        ],
    ),
    (
        "MACHINE-READABLE OUTPUT",
        [
            "validate, plan, status and locate take --format json: one JSON object on "
            'standard output with "schema": "osconf/1", "command", "ok" and '
            '"exit_code", then the command\'s own members (see README.md, '
            '"Machine-readable output"). An error that ends the command is the same '
            'object with an "error" member ("message", and "problems" for an invalid '
            "file). Members may be added within osconf/1; a member removed or changed in "
            "meaning changes the schema name. Secrets are never in it.",
        ],
    ),
    (
        "FILES",
        [
            "* /etc/osconf.conf: osconf's own settings, read without a shell: partition= "
            "(LABEL=..., UUID=... or a device path) and network_stack=; shipped commented, "
            "with every key.",
            "* /etc/osconf/disabled: when it exists osconf does nothing (as does osconf=off "
            "on the kernel command line).",
            "* /var/lib/osconf/state.json: the newest runs, read by osconf status; no secrets.",
            "* /var/lib/osconf/backup/: the previous version of every file osconf replaced.",
            "* /run/osconf.lock: one osconf at a time.",
        ],
    ),
    ("SEE ALSO", ["cloud-init(1), systemd.service(5), interfaces(5), netplan(5)"]),
]

# Options whose value is a file or a directory, for the completion.
FILE_DESTS = ("conf", "file")
DIR_DESTS = ("root",)


def troff(text: str) -> str:
    """Escapes text for a troff line (backslashes, hyphens, leading dots)."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def subcommands(parser: argparse.ArgumentParser) -> List[Tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.items())
    return []


def option_label(action: argparse.Action) -> str:
    if not action.option_strings:
        return "\\fI" + troff(str(action.metavar or action.dest).upper()) + "\\fR"
    names = ", ".join("\\fB" + troff(o) + "\\fR" for o in action.option_strings)
    if action.nargs == 0:
        return names
    if action.choices:
        value = "{" + ",".join(str(c) for c in action.choices) + "}"
    else:
        value = str(action.metavar or action.dest.upper())
    return f"{names} \\fI{troff(value)}\\fR"


def usage(parser: argparse.ArgumentParser) -> str:
    text = " ".join(parser.format_usage().split())
    return text[len("usage: ") :] if text.startswith("usage: ") else text


def paragraphs(lines: List[str]) -> List[str]:
    out: List[str] = []
    for text in lines:
        if text.startswith("* "):
            out += [".IP \\(bu 2", troff(text[2:])]
        else:
            out += [".PP", troff(text)]
    return out


def options(parser: argparse.ArgumentParser) -> List[str]:
    out: List[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        out += [".TP", option_label(action), troff(str(action.help or ""))]
    return out


def man_page() -> str:
    parser = build_parser()
    lines = [
        ".\\\" Generated by tools/gendocs.py from osconf's argparse parser: do not edit.",
        f'.TH OSCONF 8 "" "osconf {troff(__version__)}" "System Administration"',
        ".SH NAME",
        "osconf \\- " + troff(parser.description or "").rstrip("."),
        ".SH SYNOPSIS",
        ".B osconf",
        "[\\fB\\-\\-debug\\fR] [\\fB\\-q\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]",
    ]
    for title, texts in SECTIONS[:1]:
        lines += [f".SH {title}", *paragraphs(texts)]
    lines += [".SH GLOBAL OPTIONS",
              ".PP",
              "Accepted before or after the command.",
              *options(parser)]  # fmt: skip
    lines.append(".SH COMMANDS")
    for name, sub in subcommands(parser):
        lines += [f".SS {troff(name)}", ".PP", "\\fBosconf " + troff(usage(sub)[7:]) + "\\fR"]
        lines += [".PP", troff(sub.description or "")]
        lines += [o for o in options(sub)]
        lines += [".PP", "Exit codes:"]
        for code, meaning in exit_codes(_declared(name)):
            lines += [".TP", f"\\fB{code}\\fR", troff(meaning)]
    for title, texts in SECTIONS[1:]:
        lines += [f".SH {title}", *paragraphs(texts)]
    lines.append(".SH EXIT STATUS")
    for code, meaning in sorted(MEANINGS.items()):
        lines += [".TP", f"\\fB{code}\\fR", troff(meaning)]
    return "\n".join(lines) + "\n"


def _declared(name: str) -> List[object]:
    """The exit codes a command declares (as --help shows them)."""
    import importlib

    from osconf.cli import MODULES

    module = importlib.import_module(f"osconf.commands.{MODULES[name]}")
    declared: Dict[str, List[object]] = getattr(module, "EXIT_CODES", {})
    return list(declared.get(name, sorted(MEANINGS)))


def _words(parser: argparse.ArgumentParser) -> List[str]:
    words: List[str] = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        words += action.option_strings
    return words


def completion() -> str:
    parser = build_parser()
    commands = subcommands(parser)
    values: Dict[str, str] = {}
    for _name, sub in [("", parser), *commands]:
        for action in sub._actions:
            if not action.option_strings or action.nargs == 0:
                continue
            if action.choices:
                reply = (
                    'COMPREPLY=($(compgen -W "'
                    + " ".join(map(str, action.choices))
                    + '" -- "$cur"))'
                )
            elif action.dest in DIR_DESTS:
                reply = 'COMPREPLY=($(compgen -d -- "$cur"))'
            elif action.dest in FILE_DESTS:
                reply = 'COMPREPLY=($(compgen -f -- "$cur"))'
            elif action.dest == "partition":
                reply = (
                    'COMPREPLY=($(compgen -W "LABEL= UUID= /dev/" -- "$cur")); compopt -o nospace'
                )
            else:
                reply = "COMPREPLY=()"
            for option in action.option_strings:
                values.setdefault(option, reply)
    lines = [
        "# bash completion for osconf(8)",
        "# Generated by tools/gendocs.py from osconf's argparse parser: do not edit.",
        "_osconf() {",
        "    local cur prev cmd i",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    cmd=""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        "            -*) ;;",
        '            *) cmd="${COMP_WORDS[i]}"; break ;;',
        "        esac",
        "    done",
        '    case "$prev" in',
    ]
    for option in sorted(values):
        lines.append(f"        {option}) {values[option]}; return ;;")
    lines += ["    esac", '    case "$cmd" in']
    lines.append(
        '        "") COMPREPLY=($(compgen -W "'
        + " ".join([*(n for n, _ in commands), *_words(parser)])
        + '" -- "$cur")) ;;'
    )
    for name, sub in commands:
        positional = any(not a.option_strings and a.dest in FILE_DESTS for a in sub._actions)
        words = " ".join(_words(sub))
        if positional:
            lines.append(
                f'        {name}) if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "{words}"'
                ' -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi ;;'
            )
        else:
            lines.append(f'        {name}) COMPREPLY=($(compgen -W "{words}" -- "$cur")) ;;')
    lines += ["    esac", "}", "complete -F _osconf osconf"]
    return "\n".join(lines) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in ((MAN, man_page()), (COMPLETION, completion())):
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {os.path.relpath(path, REPO)}")
    for path in stale:
        print(
            f"{os.path.relpath(path, REPO)} is not current: run tools/gendocs.py", file=sys.stderr
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
