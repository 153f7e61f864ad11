"""The Debian mirror, taken from this machine's apt configuration.

The repository names no mirror: whichever one the host's apt uses (a local
mirror, a proxy, deb.debian.org) is the one the test trees are built from.
"""

from pathlib import Path
from typing import Dict, List, Tuple

APT = Path("/etc/apt")


def _deb822(text: str) -> List[Dict[str, str]]:
    stanzas: list[Dict[str, str]] = []
    current: Dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current = {}
            continue
        if line[0].isspace() and key:
            current[key] += " " + line.strip()
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        current[key] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def _entries(apt: Path) -> List[Tuple[str, str, str]]:
    """(URI, suite, components) of every enabled `deb` source."""
    out: list[Tuple[str, str, str]] = []
    lists = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for path in lists:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) < 3 or words[0] != "deb":
                continue
            words = [w for w in words if not (w.startswith("[") or w.endswith("]"))]
            out.append((words[1], words[2], " ".join(words[3:]) or "main"))
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in _deb822(path.read_text()):
            if "deb" not in stanza.get("types", "").split():
                continue
            if stanza.get("enabled", "yes").lower() == "no":
                continue
            for uri in stanza.get("uris", "").split():
                for suite in stanza.get("suites", "").split():
                    out.append((uri, suite, stanza.get("components", "main")))
    return out


def mirrors(suite: str, apt: Path = APT) -> List[str]:
    """One-line `deb` entries for `suite` and its -updates/-security, as the
    host's apt has them (mmdebstrap takes each as a MIRROR argument)."""
    wanted = (suite, f"{suite}-updates", f"{suite}-security")
    lines = [f"deb {uri} {s} {components}" for uri, s, components in _entries(apt) if s in wanted]
    if not any(line.split()[2] == suite for line in lines):
        raise LookupError(f"the host's apt configuration has no source for {suite}")
    return lines
