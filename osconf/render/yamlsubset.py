"""A strict reader of the YAML that netplan files are written in, with line spans.

Not a YAML library, on purpose: osconf must edit another program's file
line by line (keeping its comments, order and quoting) and only when it
knows what every line means. It reads block mappings and sequences, plain
and quoted one-line scalars and one-line flow collections (`[a, b]`,
`{k: v}`), and raises `Unsure` on everything else: anchors, aliases, tags,
block scalars, multi-line scalars or flow collections, several documents,
directives, complex keys, tabs, duplicate keys.

Scalars stay strings (`true`, `2` and `null` are not interpreted): netplan
conflicts only need names, MACs and the structure.
"""

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

# A list's items are Values again; mypy 0.971 (the Python 3.6 check) has no
# recursive type aliases, so they are typed Any.
Mapping = Dict[str, "Entry"]
Value = Union[None, str, Mapping, List[Any]]


class Unsure(ValueError):
    """The text uses YAML osconf does not read with certainty."""


@dataclass
class Entry:
    """One `key: value` of a mapping, with where it is written."""

    value: Value
    first: int  # index of the key's line
    last: int  # index of the entry's last line (inclusive)
    block: bool  # False for an entry inside a flow collection: it has no lines of its own
    # Where a scalar value written on the key's line sits in that line.
    span: Optional[Tuple[int, int]] = None


@dataclass
class _Token:
    line: int
    indent: int  # column of the `-` or of the key
    kind: str  # "seq" or "map"
    key: str = ""
    text: str = ""  # the value written on the line ("" when none)
    start: int = 0  # column where `text` starts


def _plain_start(text: str) -> bool:
    """Whether YAML lets a plain scalar start like `text` (`-1` yes, `- x` no)."""
    if text[:1] in "-?:":
        return text[1:2] not in ("", " ")
    return text[:1] not in ",[]{}#&*!|>'\"%@`"


def parse(text: str) -> Mapping:
    """The document of `text` as nested mappings, lists and strings."""
    tokens: List[_Token] = []
    for number, raw in enumerate(text.split("\n")):
        tokens.extend(_tokens(number, raw))
    if not tokens:
        return {}
    if tokens[0].indent != 0 or tokens[0].kind != "map":
        raise Unsure(f"line {tokens[0].line + 1}: the document is not a mapping")
    value, index, _ = _mapping(tokens, 0, 0)
    if index != len(tokens):
        raise Unsure(f"line {tokens[index].line + 1}: unexpected indentation")
    return value


def _strip_comment(raw: str, number: int) -> str:
    quote = ""
    index = 0
    while index < len(raw):
        char = raw[index]
        before = raw[index - 1] if index else " "
        if quote:
            if quote == '"' and char == "\\":
                index += 2
                continue
            if char == quote:
                if quote == "'" and raw[index + 1 : index + 2] == "'":
                    index += 2
                    continue
                quote = ""
        elif char in "'\"" and before in " \t[{,":
            quote = char
        elif char == "#" and before in " \t":
            return raw[:index]
        index += 1
    if quote:
        raise Unsure(f"line {number + 1}: a quoted scalar over several lines")
    return raw


def _tokens(number: int, raw: str) -> List[_Token]:
    line = _strip_comment(raw.rstrip("\r"), number)
    if "\t" in line:
        # Tabs are never indentation in YAML and rarely anything else here.
        raise Unsure(f"line {number + 1}: a tab")
    line = line.rstrip(" ")
    content = line.lstrip(" ")
    if not content:
        return []
    column = len(line) - len(content)
    if column == 0 and content.startswith(("---", "...", "%")):
        raise Unsure(f"line {number + 1}: document markers or directives")
    out: List[_Token] = []
    if content == "-" or content.startswith("- "):
        rest = content[1:].lstrip(" ")
        start = column + len(content) - len(rest)
        if rest == "-" or rest.startswith("- "):
            raise Unsure(f"line {number + 1}: a sequence in a sequence entry")
        if not rest or rest[0] in "[{\"'" or _key_end(rest) < 0:
            return [_Token(number, column, "seq", text=rest, start=start)]
        out.append(_Token(number, column, "seq"))
        column, content = start, rest
    end = _key_end(content)
    if end < 0:
        raise Unsure(f"line {number + 1}: a line that is neither a key nor a list entry")
    key = _scalar(content[:end], number)
    if not isinstance(key, str):
        raise Unsure(f"line {number + 1}: a key that is not a scalar")
    text = content[end + 1 :].lstrip(" ")
    start = column + len(content) - len(text)
    out.append(_Token(number, column, "map", key, text, start))
    return out


def _key_end(content: str) -> int:
    """Where the `:` after a key is, or -1."""
    if content[:1] in "\"'":
        close = _quoted_end(content, 0)
        if close < 0:
            return -1
        return close if content[close : close + 1] == ":" else -1
    if not _plain_start(content):
        return -1
    index = content.find(": ")
    if index < 0 and content.endswith(":"):
        index = len(content) - 1
    return index


def _quoted_end(text: str, start: int) -> int:
    """The index just after the quoted scalar starting at `start`, or -1."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            if quote == "'" and text[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index + 1
        index += 1
    return -1


def _scalar(text: str, number: int) -> Value:
    """A value written on one line: a scalar or a flow collection."""
    text = text.strip(" ")
    if not text:
        return None
    if text[0] in "[{":
        flow = _Flow(text, number)
        value = flow.node()
        flow.skip()
        if flow.pos != len(text):
            raise Unsure(f"line {number + 1}: text after a flow collection")
        return value
    if text[0] in "\"'":
        if _quoted_end(text, 0) != len(text):
            raise Unsure(f"line {number + 1}: text after a quoted scalar")
        return _unquote(text, number)
    if not _plain_start(text) or ": " in text or text.endswith(":"):
        raise Unsure(f"line {number + 1}: {text[:20]!r} is not a plain scalar osconf reads")
    return text


def _unquote(text: str, number: int) -> str:
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    try:
        value = json.loads(text)
    except ValueError:
        raise Unsure(f"line {number + 1}: a double-quoted scalar with YAML escapes") from None
    if not isinstance(value, str):
        raise Unsure(f"line {number + 1}: not a string")
    return value


class _Flow:
    """A one-line flow collection: `[a, "b"]`, `{k: v, n: [x]}`."""

    def __init__(self, text: str, number: int) -> None:
        self.text, self.pos, self.number = text, 0, number

    def fail(self, why: str) -> Unsure:
        return Unsure(f"line {self.number + 1}: {why} in a flow collection")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def node(self) -> Value:
        self.skip()
        char = self.peek()
        if char == "[":
            return self.sequence()
        if char == "{":
            return self.mapping()
        return self.scalar()

    def sequence(self) -> List[Value]:
        self.pos += 1
        items: List[Value] = []
        while True:
            self.skip()
            if self.peek() == "]":
                self.pos += 1
                return items
            items.append(self.node())
            self.skip()
            if self.peek() == ":":
                raise self.fail("a mapping in a sequence")
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise self.fail("a missing `,` or `]`")

    def mapping(self) -> Mapping:
        self.pos += 1
        out: Mapping = {}
        while True:
            self.skip()
            if self.peek() == "}":
                self.pos += 1
                return out
            key = self.scalar()
            if not isinstance(key, str) or key in out:
                raise self.fail("a missing or repeated key")
            self.skip()
            value: Value = None
            if self.peek() == ":":
                self.pos += 1
                self.skip()
                if self.peek() not in (",", "}"):
                    value = self.node()
            out[key] = Entry(value, self.number, self.number, False)
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("a missing `,` or `}`")

    def scalar(self) -> Optional[str]:
        char = self.peek()
        if not char:
            raise self.fail("an unclosed collection")
        if char in "\"'":
            end = _quoted_end(self.text, self.pos)
            if end < 0:
                raise self.fail("an unclosed quote")
            value = _unquote(self.text[self.pos : end], self.number)
            self.pos = end
            return value
        if not _plain_start(self.text[self.pos :]) or char in "?:-":
            raise self.fail(f"{char!r}")
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            after = self.text[self.pos + 1 : self.pos + 2]
            if char in ",[]{}" or (char == ":" and after in ("", " ", ",", "}", "]")):
                break
            if char == "#" and self.text[self.pos - 1] == " ":
                raise self.fail("a comment")
            self.pos += 1
        return self.text[start : self.pos].rstrip(" ")


def _mapping(tokens: List[_Token], index: int, indent: int) -> Tuple[Mapping, int, int]:
    out: Mapping = {}
    last = tokens[index].line
    while index < len(tokens) and tokens[index].indent >= indent:
        token = tokens[index]
        if token.indent != indent or token.kind != "map":
            raise Unsure(f"line {token.line + 1}: unexpected indentation")
        if token.key in out:
            raise Unsure(f"line {token.line + 1}: the key {token.key!r} is repeated")
        index += 1
        nxt = tokens[index] if index < len(tokens) else None
        if token.text:
            value = _scalar(token.text, token.line)
            span = (token.start, token.start + len(token.text))
            if nxt is not None and nxt.indent > indent:
                raise Unsure(f"line {nxt.line + 1}: a scalar over several lines")
            out[token.key] = Entry(value, token.line, token.line, True, span)
            last = token.line
            continue
        if nxt is not None and (
            nxt.indent > indent or (nxt.indent == indent and nxt.kind == "seq")
        ):
            child, index, last = _node(tokens, index, nxt.indent)
            out[token.key] = Entry(child, token.line, last, True)
        else:
            out[token.key] = Entry(None, token.line, token.line, True)
            last = token.line
    return out, index, last


def _node(tokens: List[_Token], index: int, indent: int) -> Tuple[Value, int, int]:
    if tokens[index].kind == "map":
        return _mapping(tokens, index, indent)
    items: List[Value] = []
    last = tokens[index].line
    while index < len(tokens) and tokens[index].indent >= indent:
        token = tokens[index]
        if token.indent != indent or token.kind != "seq":
            raise Unsure(f"line {token.line + 1}: unexpected indentation")
        index += 1
        nxt = tokens[index] if index < len(tokens) else None
        if token.text:
            items.append(_scalar(token.text, token.line))
            last = token.line
            if nxt is not None and nxt.indent > indent and nxt.line != token.line:
                raise Unsure(f"line {nxt.line + 1}: a scalar over several lines")
        elif nxt is not None and (nxt.line == token.line or nxt.indent > indent):
            item, index, last = _node(tokens, index, nxt.indent)
            items.append(item)
        else:
            items.append(None)
            last = token.line
    return items, index, last
