"""Pure editors of the classic /etc files: old content in, new content out.

Each function keeps every line it does not own, so that an administrator's
edits survive osconf.
"""

from typing import List, Optional, Tuple

MARK = "# osconf"
_MISSING_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def _lines(content: Optional[str]) -> List[str]:
    # Split on "\n" alone: str.splitlines() also splits on \r, \f, \x1c-\x1e,
    # U+0085, U+2028..., which would change lines osconf does not own.
    if not content:
        return []
    return content[:-1].split("\n") if content.endswith("\n") else content.split("\n")


def _join(lines: List[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def hostname_file(name: str) -> str:
    return name + "\n"


def hosts(content: Optional[str], hostname: str, address: Optional[str]) -> str:
    """Maps `hostname` in /etc/hosts, replacing only osconf's own line.

    osconf's line carries the `# osconf` mark; the Debian-style 127.0.1.1 line
    (which names the image's old host name) is replaced too. The name is
    mapped to `address` (the private address) or 127.0.1.1.
    """
    names = hostname if "." not in hostname else f"{hostname} {hostname.split('.')[0]}"
    ours = f"{address or '127.0.1.1'}\t{names}\t{MARK}"
    if content is None:
        # No file at all: a hosts file without localhost would break it.
        content = _MISSING_HOSTS
    out: List[str] = []
    placed = False
    for line in _lines(content):
        fields = line.split("#", 1)[0].split()
        if line.rstrip().endswith(MARK) or (fields and fields[0] == "127.0.1.1"):
            if not placed:
                out.append(ours)
                placed = True
            continue
        out.append(line)
    if not placed:
        # After the loopback lines, where resolvers look first.
        at = 0
        for i, line in enumerate(out):
            fields = line.split()
            if fields and fields[0] in ("127.0.0.1", "::1"):
                at = i + 1
        out.insert(at, ours)
    return _join(out)


def set_shell_variable(content: Optional[str], name: str, value: str) -> str:
    """Sets `NAME=value` in a shell-variable file (sysconfig style).

    The file is read as shell statements, not lines: a quoted value may span
    lines (SUSE's netconfig files do that) and `NAME=` inside another
    variable's quoted value is not an assignment. Every assignment of `NAME`
    (with or without `export`) is replaced, whole, by the first new one.
    """
    new = f'{name}="{value}"' if any(c in value for c in " \t") else f"{name}={value}"
    out: List[str] = []
    placed = False
    for statement in _statements(_lines(content)):
        head = statement[0].lstrip(" \t")
        if head.startswith("export") and head[6:7] in (" ", "\t"):
            head = head[7:].lstrip(" \t")
        if head.startswith(name + "="):
            if not placed:
                out.append(new)
                placed = True
            continue
        out.extend(statement)
    if not placed:
        out.append(new)
    return _join(out)


def _statements(lines: List[str]) -> List[List[str]]:
    """Groups lines into shell statements: a line continues the previous one
    while a quote is open or the previous one ended in a backslash."""
    groups: List[List[str]] = []
    current: List[str] = []
    quote = ""
    for line in lines:
        current.append(line)
        continued = False
        i = 0
        while i < len(line):
            char = line[i]
            if quote == "'":
                quote = "" if char == "'" else quote
            elif quote == '"':
                if char == "\\":
                    i += 1
                elif char == '"':
                    quote = ""
            elif char == "\\":
                if i == len(line) - 1:
                    continued = True
                i += 1
            elif char in "'\"":
                quote = char
            elif char == "#" and (i == 0 or line[i - 1] in " \t;"):
                break
            i += 1
        if not quote and not continued:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def resolv_conf(content: Optional[str], servers: Tuple[str, ...]) -> str:
    """Replaces the `nameserver` lines; `search`, `options` etc. are kept."""
    out: List[str] = []
    at: Optional[int] = None
    for line in _lines(content):
        fields = line.split()
        if fields and fields[0] == "nameserver":
            if at is None:
                at = len(out)
            continue
        out.append(line)
    new = [f"nameserver {server}" for server in servers]
    if at is None:
        at = len(out)
    return _join(out[:at] + new + out[at:])


def shadow_hash(content: str, user: str) -> Optional[str]:
    """The password field of `user`, or None if the user is absent."""
    for line in _lines(content):
        fields = line.split(":")
        if fields[0] == user and len(fields) >= 2:
            return fields[1]
    return None


def shadow_set_hash(content: str, user: str, hashed: str, today: int) -> str:
    """Replaces `user`'s hash and last-change day; every other line as it was."""
    out: List[str] = []
    for line in _lines(content):
        fields = line.split(":")
        if fields[0] == user and len(fields) >= 2:
            fields[1] = hashed
            if len(fields) >= 3:
                fields[2] = str(today)
            line = ":".join(fields)
        out.append(line)
    return _join(out)
