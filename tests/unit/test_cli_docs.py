"""osconf(8) and the bash completion are generated from the parser that
`--help` prints (tools/gendocs.py): they must be current, render cleanly and
cover every command and option; the completion must complete."""

import argparse
import subprocess
import sys
from typing import Dict, List, Tuple

import pytest

from osconf.cli import build_parser
from tests.conftest import REPO
from tests.helpers.tools import require_tool

MAN = REPO / "man/osconf.8"
COMPLETION = REPO / "completion/osconf"


def _commands() -> Dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no sub-commands")


def _declared(name: str) -> List[object]:
    import importlib

    from osconf.cli import MODULES
    from osconf.errors import MEANINGS

    module = importlib.import_module(f"osconf.commands.{MODULES[name]}")
    return list(getattr(module, "EXIT_CODES", {}).get(name, sorted(MEANINGS)))


def test_generated_files_are_current() -> None:
    result = subprocess.run([sys.executable, "tools/gendocs.py", "--check"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_man_page_renders_without_warnings() -> None:
    groff = require_tool("groff", package="groff-base")
    result = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(MAN)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)  # fmt: skip
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_man_page_covers_every_command_option_and_exit_code() -> None:
    groff = require_tool("groff", package="groff-base")
    rendered = subprocess.run([groff, "-man", "-Tascii", "-P-cbou", str(MAN)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True).stdout  # fmt: skip
    text = " ".join(rendered.split())
    for name, parser in _commands().items():
        section = text.split(f" {name} osconf {name} ", 1)
        assert len(section) == 2, name
        for action in parser._actions:
            if action.help != argparse.SUPPRESS:
                for option in action.option_strings:
                    assert option in section[1], (name, option)
    for heading in ("EXIT STATUS", "FILES", "MACHINE-READABLE OUTPUT", "GLOBAL OPTIONS"):
        assert heading in rendered


def complete(*words: str) -> List[str]:
    bash = require_tool("bash")
    line = " ".join(f"'{w}'" for w in words)
    script = (f"source {COMPLETION}\nCOMP_WORDS=(osconf {line})\nCOMP_CWORD={len(words)}\n"
              '_osconf\nprintf "%s\\n" "${COMPREPLY[@]}"\n')  # fmt: skip
    result = subprocess.run([bash, "--norc", "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, cwd=REPO)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [w for w in result.stdout.splitlines() if w]


def test_completion_of_commands_and_options() -> None:
    assert set(complete("")) >= set(_commands()) | {"--debug", "-q"}
    assert complete("st") == ["status"]
    assert complete("-q", "st") == ["status"]
    for name, parser in _commands().items():
        offered = set(complete(name, "-"))
        for action in parser._actions:
            if action.help != argparse.SUPPRESS:
                assert set(action.option_strings) <= offered, (name, action.option_strings)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("plan", "--format", ""), ["text", "json"]),
        (("apply", "--network-stack", "net"), ["netplan", "networkd", "networkmanager"]),
        (("validate", "samples/cla"), ["samples/classic.conf"]),
        (("status", "--root", "sample"), ["samples"]),
    ],
)
def test_completion_of_values(words: Tuple[str, ...], expected: List[str]) -> None:
    assert sorted(complete(*words)) == sorted(expected)


def test_readme_exit_code_table_covers_every_command() -> None:
    from osconf.cli import COMMANDS, exit_codes

    readme = (REPO / "README.md").read_text()
    table = readme.split("### Exit codes\n", 1)[1].strip().split("\n\n")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[int(cells[0])] = cells[2]
    for name, _module in COMMANDS:
        for code, _meaning in exit_codes(_declared(name)):
            assert code in rows, code
            assert rows[code] == "every command" or name in rows[code].split(", "), (name, code)
