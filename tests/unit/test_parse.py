"""The os.conf reader: shell assignment syntax, read without a shell."""

from typing import Dict, List, Union

import pytest

from osconf.parse import MAX_BYTES, Assignment, parse


def values(text: Union[str, bytes]) -> Dict[str, str]:
    data = text.encode() if isinstance(text, str) else text
    assignments, problems = parse(data)
    assert not [p for p in problems if p.fatal], problems
    return {a.key: a.value for a in assignments}


def errors(text: Union[str, bytes]) -> List[str]:
    data = text.encode() if isinstance(text, str) else text
    _, problems = parse(data, "f")
    return [str(p) for p in problems if p.fatal]


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("k=bare", "bare"),
        ('k="double quoted"', "double quoted"),
        ("k='single quoted'", "single quoted"),
        ("k=", ""),
        ('k=""', ""),
        ("k=a'b c'\"d e\"", "ab cd e"),
        ('k="a \\"quoted\\" \\\\ \\$ word"', 'a "quoted" \\ $ word'),
        ('k="keeps \\n as is"', "keeps \\n as is"),
        ("k='no $expansion `here`'", "no $expansion `here`"),
        ("k=esc\\ aped", "esc aped"),
        ("k=value # comment", "value"),
        ("k=pass#word", "pass#word"),
        ("k='#not comment'", "#not comment"),
        ('k="x" # trailing comment', "x"),
        ("export k=exported", "exported"),
        ("  k=indented  ", "indented"),
        ("k=a=b=c", "a=b=c"),
        ("k=cXdlcjEyMzQK", "cXdlcjEyMzQK"),
        ("k=ünïcödé", "ünïcödé"),
    ],
)
def test_value_forms(line: str, value: str) -> None:
    assert values(line + "\n") == {"k": value}


def test_line_numbers_blank_lines_and_comments() -> None:
    assignments, problems = parse(b"# header\n\nhostname=a\n   \n# x=y\ndns_nameserver='1.1.1.1'\n")
    assert problems == ()
    assert assignments == (
        Assignment("hostname", "a", 3),
        Assignment("dns_nameserver", "1.1.1.1", 6),
    )


def test_crlf_bom_and_trailing_spaces() -> None:
    data = b"\xef\xbb\xbfhostname=host1 \r\npassword=cXdlcjEyMzQK\t\r\n"
    assert values(data) == {"hostname": "host1", "password": "cXdlcjEyMzQK"}


def test_repeated_key_keeps_every_assignment_for_the_validator() -> None:
    assignments, _ = parse(b"a=1\na=2\n")
    assert [a.value for a in assignments] == ["1", "2"]


def test_no_trailing_newline() -> None:
    assert values("a=1") == {"a": "1"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("k=$(reboot)\n", "f:1: error: k: '$' would make a shell expand"),
        ("k=`id`\n", "'`' would make a shell expand"),
        ('k="$HOME"\n', "'$' would make a shell expand"),
        ("k=a;reboot\n", "shell operator ';'"),
        ("k=a|b\n", "shell operator '|'"),
        ("k=<yourHostName>\n", "template placeholder"),
        ("k='open\n", "unterminated single quote"),
        ('k="open\n', "unterminated double quote"),
        ("k=two words\n", "unquoted blank"),
        ("just text\n", "f:1: error: expected KEY=VALUE"),
        ("1k=v\n", "expected KEY=VALUE"),
        ("k =v\n", "expected KEY=VALUE"),
        ("k=trailing\\\n", "line continuation"),
    ],
)
def test_rejected_lines_name_line_and_key(text: str, fragment: str) -> None:
    found = errors(text)
    assert len(found) == 1
    assert fragment in found[0]


def test_every_bad_line_is_reported_not_just_the_first() -> None:
    text = "a=$(x)\nb=ok\nc='open\nd=two words\n"
    found = errors(text)
    assert [f.split(":")[1] for f in found] == ["1", "3", "4"]


def test_binary_garbage_and_nul() -> None:
    found = errors(b"hostname=ab\x00cd\n\xff\xfe\xfd=1\n")
    assert "f:1: error: NUL byte" in found[0]
    assert "f:2: error: line is not valid UTF-8" in found[1]


def test_huge_file_is_refused_whole() -> None:
    assignments, problems = parse(b"a=" + b"x" * MAX_BYTES, "big")
    assert assignments == ()
    assert "larger than the" in str(problems[0])


def test_huge_line_is_refused() -> None:
    found = errors(b"a=" + b"x" * 70000 + b"\nb=1\n")
    assert len(found) == 1 and "longer than" in found[0]


def test_parser_never_runs_anything(tmp_path: object) -> None:
    # What a shell would execute stays an error, and nothing is created.
    import os

    marker = "/tmp/osconf-parser-must-not-create-this"
    if os.path.exists(marker):
        os.unlink(marker)
    parse(f"a=$(touch {marker})\nb=`touch {marker}`\nc=x;touch {marker}\n".encode())
    assert not os.path.exists(marker)
