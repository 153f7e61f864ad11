"""Debian ifupdown: a stanza per NIC in /etc/network/interfaces.d/osconf.

ifupdown names interfaces, it cannot match a MAC: the kernel name of the
NIC with os.conf's MAC is used (known on the running system); offline, the
os.conf name (eth0) stands in, with a warning at plan time.
"""

import re
from typing import TYPE_CHECKING, ClassVar, Dict, List, Set

from osconf.actions import Action, WriteFile
from osconf.render.base import File, Stack, Target, header, listing

if TYPE_CHECKING:
    from osconf.view import View

_STANZA = re.compile(r"^\s*(auto|allow-hotplug|allow-auto|iface)\s+(.*)$")


class Ifupdown(Stack):
    name = "ifupdown"
    title = "ifupdown (/etc/network/interfaces)"
    paths = ("/sbin/ifup", "/usr/sbin/ifup")
    os_ids = ("debian", "ubuntu", "raspbian", "devuan")
    needs_names = True
    interfaces: ClassVar[str] = "/etc/network/interfaces"
    path: ClassVar[str] = "/etc/network/interfaces.d/osconf"
    source_line: ClassVar[str] = "source /etc/network/interfaces.d/*"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        lines = [header().rstrip()]
        dns_nic = target.dns_nic
        for nic in target.conf.nics:
            name = target.name(nic)
            lines += ["", f"auto {name}", f"iface {name} inet static", f"    address {nic.cidr}"]
            default = nic.default_route
            if default is not None:
                lines.append(f"    gateway {default.gateway}")
            if nic is dns_nic and target.conf.dns:
                lines.append("    dns-nameservers " + " ".join(target.conf.dns))
            # Validated addresses only: nothing here comes from os.conf as text.
            for route in nic.static_routes:
                spec = f"{route.destination} via {route.gateway} dev {name}"
                lines += [
                    f"    up ip route replace {spec}",
                    f"    down ip route del {spec} || true",
                ]
        return {cls.path: File("\n".join(lines) + "\n")}

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return [cls.path] if view.exists(cls.path) else []

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        names = {target.name(nic) for nic in target.conf.nics}
        actions: List[Action] = []
        text = view.read_text(cls.interfaces)
        new = _without_stanzas(text or "", names)
        sourced = any(_sources(line, cls.path) for line in new.splitlines())
        if not sourced:
            new = new + ("" if new.endswith("\n") or not new else "\n") + cls.source_line + "\n"
        if new != (text or ""):
            why = "drop other stanzas of osconf's NICs; source interfaces.d"
            actions.append(WriteFile(cls.interfaces, new, None, why))
        for path in listing(view, "/etc/network/interfaces.d"):
            if path == cls.path or not view.is_file(path):
                continue
            old = view.read_text(path) or ""
            edited = _without_stanzas(old, names)
            if edited != old:
                actions.append(WriteFile(path, edited, None, "drop other stanzas of osconf's NICs"))
        return actions


def _without_stanzas(text: str, names: Set[str]) -> str:
    """Comments out the IPv4 `iface` stanzas of `names` (whole names: eth10,
    the alias eth0:1 and the VLAN eth0.100 are other interfaces) and takes
    `names` out of `auto`/`allow-*` lines; all else is kept."""
    out: List[str] = []
    inside = False
    for line in text.splitlines():
        match = _STANZA.match(line)
        if match:
            words = match.group(2).split()
            kind = match.group(1)
            if kind == "iface":
                # osconf writes IPv4 (`inet`) only: an `inet6` stanza of the
                # same NIC is another family's definition and stays. ifupdown
                # brings an interface up once, with all its stanzas, when
                # any `auto` line names it: osconf's own file has that line.
                inside = len(words) >= 2 and words[0] in names and words[1] == "inet"
                if inside:
                    out.append("# osconf: " + line)
                    continue
            else:
                inside = False
                kept = [w for w in words if w not in names]
                if len(kept) != len(words):
                    out.append("# osconf: " + line)
                    if kept:
                        out.append(f"{kind} {' '.join(kept)}")
                    continue
        elif inside and line.strip() and (line[:1] in " \t"):
            out.append("# osconf: " + line)
            continue
        elif line.strip() and line[:1] not in " \t#":
            inside = False
        out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def _sources(line: str, path: str) -> bool:
    """True when an `interfaces` line makes ifupdown read `path`: `source`
    with a glob that matches it (`*.cfg` does not match `osconf`), or
    `source-directory` of its folder (whose names ifupdown takes only when
    they are letters, digits, `_` and `-`). Relative arguments are relative
    to /etc/network, where `interfaces` is."""
    import fnmatch
    import posixpath

    words = line.split()
    if len(words) < 2 or words[0] not in ("source", "source-directory"):
        return False
    folder, name = posixpath.split(path)
    for word in words[1:]:
        absolute = posixpath.normpath(posixpath.join("/etc/network", word))
        if words[0] == "source" and fnmatch.fnmatchcase(path, absolute):
            return True
        if words[0] == "source-directory" and absolute == folder:
            return all(c.isalnum() or c in "_-" for c in name)
    return False
