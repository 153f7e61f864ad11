"""Other netplan files that define osconf's NICs: what to take out, and how.

netplan merges every file of /etc/netplan; a definition of the same NIC
under another ID (cloud-init's `eth0`, matched by name or MAC) makes a
second networkd file that sorts before osconf's and wins. Each such
definition is taken out, and only it:

* a file whose only definitions are osconf's NICs is removed;
* a file that defines other things too (another NIC, a VLAN, a bond) is
  rewritten without the lines of osconf's NICs, and a VLAN whose `link:`
  named the removed ID now names osconf's (`osconf-eth0`), so netplan still
  renders it;
* a file osconf cannot read with certainty (flow style around the
  definition, anchors, tags, ...; see `yamlsubset`), a definition that may
  or may not be the NIC (a `driver:` match, a name glob, an unknown MAC), or
  osconf's NIC enslaved to a bond or bridge, is left exactly as it is and
  reported as a part that could not be done: the outcome is partial and
  os.conf is kept, because that definition still wins at the next boot.
"""

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from osconf.actions import Action, CannotPlan, RemoveFile, WriteFile
from osconf.model import Nic
from osconf.render.base import Target
from osconf.render.yamlsubset import Entry, Mapping, Unsure, parse

_HEADER_KEYS = ("version", "renderer")


@dataclass
class _File:
    path: str
    text: str
    tree: Optional[Mapping] = None
    ours: Dict[str, Tuple[Nic, Entry]] = field(default_factory=dict)  # ethernets ID -> NIC
    refs: List[Tuple[str, str, Entry]] = field(default_factory=list)  # (key, ID, entry)
    why: str = ""  # why it is left alone


def osconf_id(nic: Nic) -> str:
    """The ID of osconf's own definition of `nic` (see Netplan.render)."""
    return f"osconf-{nic.name}"


def resolve(target: Target, texts: Dict[str, str], ours: str) -> List[Action]:
    """Actions that take osconf's NICs out of the netplan files `texts`;
    `ours` is the name of osconf's own file."""
    files = [_read(target, path, text) for path, text in sorted(texts.items())]
    left = {f.path: f.why for f in files if f.why}
    while True:
        removed = {i: n for f in files if f.path not in left for i, (n, _) in f.ours.items()}
        before = len(left)
        for f in files:
            for key, ident, entry in f.refs:
                if ident not in removed:
                    continue
                if key != "link":
                    why = f"osconf's NIC {ident} is a member of a bond or bridge in {f.path}"
                elif f.path in left or entry.span is None:
                    why = f"{f.path} refers to {ident} where osconf cannot change it"
                elif f.path.rsplit("/", 1)[1] < ours:
                    # netplan reads it before osconf's file: the VLAN could
                    # not name osconf's definition.
                    why = f"netplan reads {f.path}, whose VLAN is on {ident}, before {ours}"
                else:
                    continue
                _leave(files, left, ident, why)
            if f.path not in left and f.ours and not _whole(f):
                if not all(entry.block for _, entry in f.ours.values()):
                    left[f.path] = "it is written in a YAML flow style osconf does not edit"
            if f.tree is None:
                for ident in removed:
                    if _mentions(f.text, ident):
                        _leave(files, left, ident, f"{f.path} mentions {ident}")
        if len(left) == before:
            break
    return [_action(f, left, removed) for f in files if _concerned(f, left, removed)]


def _read(target: Target, path: str, text: str) -> _File:
    f = _File(path, text)
    try:
        f.tree = parse(text)
    except Unsure as err:
        words = [target.name(n) for n in target.conf.nics] + [
            n.mac for n in target.conf.nics if n.mac
        ]
        if any(_mentions(text, word) for word in words):
            f.why = f"osconf cannot read it with certainty ({err})"
        return f
    network = f.tree.get("network")
    sections = network.value if network is not None else None
    if not isinstance(sections, dict):
        return f
    for kind, section in sections.items():
        if kind in _HEADER_KEYS or not isinstance(section.value, dict):
            continue
        for ident, entry in section.value.items():
            body = entry.value if isinstance(entry.value, dict) else {}
            if kind == "ethernets":
                _claim(target, f, ident, entry, body)
            link = body.get("link")
            if link is not None and isinstance(link.value, str):
                f.refs.append(("link", link.value, link))
            members = body.get("interfaces")
            if members is not None and isinstance(members.value, list):
                f.refs += [("interfaces", m, members) for m in members.value if isinstance(m, str)]
    return f


def _claim(target: Target, f: _File, ident: str, entry: Entry, body: Mapping) -> None:
    for nic in target.conf.nics:
        verdict = _is_nic(ident, body, nic, target.name(nic))
        if verdict is None:
            f.why = f"osconf cannot tell whether its definition {ident} is {nic.name}"
        elif verdict:
            f.ours[ident] = (nic, entry)
            return


def _is_nic(ident: str, body: Mapping, nic: Nic, name: str) -> Optional[bool]:
    """Whether a definition under `ethernets:` configures `nic` (None: cannot tell)."""
    match = body.get("match")
    renamed = body.get("set-name")
    new_name = renamed.value if renamed is not None else None
    verdict: Optional[bool]
    if match is None:
        verdict = ident == name  # no match: the ID is the interface name
    elif not isinstance(match.value, dict) or not match.value:
        verdict = None
    else:
        verdicts: List[Optional[bool]] = []
        by_mac = False
        for key, entry in match.value.items():
            value = entry.value
            if key == "macaddress" and isinstance(value, str):
                same = nic.mac is not None and value.lower().replace("-", ":") == nic.mac
                verdicts.append(same if nic.mac is not None else None)
                by_mac = by_mac or same
            elif key == "name" and isinstance(value, str):
                glob = any(c in value for c in "*?[")
                # A glob that takes the NIC takes others too: not osconf's alone.
                hit = fnmatch.fnmatchcase(name, value)
                verdicts.append(None if glob and hit else hit)
            else:
                verdicts.append(None)  # driver: and the like: cannot tell
        if False in verdicts:
            verdict = False
        elif by_mac or all(verdicts):
            verdict = True
        else:
            verdict = None
    if new_name is not None and new_name == name:
        # The device this names the NIC's name: the NIC when nothing says
        # otherwise (a MAC osconf does not know); else another device is
        # renamed to it, which osconf cannot sort out.
        return True if verdict is None else (verdict or None)
    return verdict


def _leave(files: List[_File], left: Dict[str, str], ident: str, why: str) -> None:
    for f in files:
        if ident in f.ours and f.path not in left:
            left[f.path] = why


def _mentions(text: str, word: str) -> bool:
    pattern = r"(?<![\w.:-])" + re.escape(word) + r"(?![\w.-]|:[\w])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _whole(f: _File) -> bool:
    """True when osconf's NICs are all the file defines."""
    if f.tree is None or set(f.tree) != {"network"}:
        return False
    sections = f.tree["network"].value
    if not isinstance(sections, dict):
        return False
    for kind, section in sections.items():
        if kind in _HEADER_KEYS or section.value in (None, {}, []):
            continue
        if kind != "ethernets" or not isinstance(section.value, dict):
            return False
        if any(ident not in f.ours for ident in section.value):
            return False
    return True


def _concerned(f: _File, left: Dict[str, str], removed: Dict[str, Nic]) -> bool:
    return f.path in left or bool(f.ours) or any(i in removed for _, i, _ in f.refs)


def _action(f: _File, left: Dict[str, str], removed: Dict[str, Nic]) -> Action:
    names = ", ".join(sorted({nic.name for nic, _ in f.ours.values()})) or "osconf's NICs"
    if f.path in left:
        return _unresolved(f, names, left[f.path])
    if f.ours and _whole(f):
        return RemoveFile(f.path, f"it defines nothing but {names}")
    edited = _edited(f, removed)
    try:
        check = _File(f.path, edited, parse(edited))
    except Unsure as err:
        return _unresolved(f, names, f"the edited file would not read back ({err})")
    assert check.tree is not None
    if f.ours:
        why = f"take out its definition of {names}, keep the rest"
    else:
        why = "its VLAN now rides on osconf's definition of the NIC"
    return WriteFile(f.path, edited, None, why)


def _unresolved(f: _File, names: str, why: str) -> Action:
    return CannotPlan(
        f"take {names} out of {f.path}",
        f"{why}; it is left as it is and its definition wins at the next boot: edit it by hand",
    )


def _edited(f: _File, removed: Dict[str, Nic]) -> str:
    assert f.tree is not None
    lines = f.text.split("\n")
    drop: Set[int] = set()
    sections = f.tree["network"].value
    assert isinstance(sections, dict)
    ethernets = sections.get("ethernets")
    if ethernets is not None and isinstance(ethernets.value, dict) and f.ours:
        if all(ident in f.ours for ident in ethernets.value):
            drop.update(range(ethernets.first, ethernets.last + 1))
        else:
            for _, entry in f.ours.values():
                drop.update(range(entry.first, entry.last + 1))
    for key, ident, entry in f.refs:
        if key == "link" and ident in removed and entry.span is not None:
            start, end = entry.span
            line = lines[entry.first]
            lines[entry.first] = line[:start] + osconf_id(removed[ident]) + line[end:]
    return "\n".join(line for number, line in enumerate(lines) if number not in drop)
