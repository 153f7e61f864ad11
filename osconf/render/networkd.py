"""systemd-networkd: one .network per NIC, matched by MAC address."""

from typing import TYPE_CHECKING, ClassVar, Dict, List, Optional, Set, Tuple

from osconf.actions import Action, CannotPlan, RemoveFile, WriteFile
from osconf.model import Nic
from osconf.render.base import File, Stack, Target, header, listing, with_prefix

if TYPE_CHECKING:
    from osconf.view import View


class Networkd(Stack):
    name = "networkd"
    title = "systemd-networkd"
    enabled_units = ("systemd-networkd.service",)
    directory: ClassVar[str] = "/etc/systemd/network"
    # Sorts before cloud images' own files (e.g. 50-cloud-init, 99-default):
    # networkd uses the first file, in lexical order, that matches a link.
    prefix: ClassVar[str] = "10-osconf-"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        files = {}
        dns_nic = target.dns_nic
        for nic in target.conf.nics:
            lines = [header().rstrip(), "[Match]"]
            if nic.mac:
                lines.append(f"MACAddress={nic.mac}")
            else:
                lines.append(f"Name={target.name(nic)}")
            lines += ["", "[Network]", f"Address={nic.cidr}"]
            if nic is dns_nic:
                lines += [f"DNS={server}" for server in target.conf.dns]
            for route in nic.routes:
                lines += ["", "[Route]"]
                if not route.is_default:
                    lines.append(f"Destination={route.destination}")
                lines.append(f"Gateway={route.gateway}")
            files[f"{cls.directory}/{cls.prefix}{nic.name}.network"] = File("\n".join(lines) + "\n")
        return files

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return with_prefix(view, cls.directory, cls.prefix, ".network")

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        # networkd uses the first file, in lexical order, whose [Match] takes
        # a link: one sorting before osconf's that takes osconf's NIC wins.
        # It is removed when osconf's NICs are all it takes, else edited so
        # that it no longer takes them (both with a backup).
        actions: List[Action] = []
        for path in listing(view, cls.directory):
            base = path.rsplit("/", 1)[1]
            if not base.endswith(".network") or path in rendered or base >= cls.prefix:
                continue
            text = view.read_text(path) or ""
            nics = [n for n in target.conf.nics if _matches(text, n.mac, target.name(n))]
            if not nics:
                continue
            names = ", ".join(n.name for n in nics)
            edited = _without(text, nics, target)
            if edited is not None and any(_matches(edited, n.mac, target.name(n)) for n in nics):
                actions.append(
                    CannotPlan(
                        f"stop {path} from taking {names}",
                        "osconf cannot edit its [Match] with certainty; it is left as it is "
                        "and wins at the next boot: edit it by hand",
                    )
                )
            elif edited is None:
                actions.append(RemoveFile(path, f"it configures nothing but {names}"))
            else:
                why = f"stop it from taking {names}; it keeps configuring the others"
                actions.append(WriteFile(path, edited, None, why))
        return actions


def _match_lists(text: str) -> Tuple[Optional[Set[str]], Optional[List[str]]]:
    """The MACAddress= set and Name= patterns of the [Match] section, merged
    as networkd merges them (an empty assignment resets); None when absent."""
    macs: Optional[Set[str]] = None
    names: Optional[List[str]] = None
    section = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("["):
            section = line
            continue
        key, equals, value = line.partition("=")
        if section != "[Match]" or not equals or line.startswith(("#", ";")):
            continue
        key, words = key.strip(), value.split()
        if key == "MACAddress":
            macs = set() if not words or macs is None else macs
            macs.update(w.lower().replace("-", ":") for w in words)
        elif key == "Name":
            invert = value.strip().startswith("!")
            if invert:
                words = value.strip()[1:].split()
            names = [] if not words or names is None else names
            names += [("!" if invert else "") + w for w in words]
    return macs, names


def _name_matches(patterns: List[str], name: str) -> bool:
    """networkd's test of a name against Name= patterns: any negative one
    that matches refuses; else a positive one must match (if any is given)."""
    import fnmatch

    positive = False
    hit = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if fnmatch.fnmatchcase(name, pattern[1:]):
                return False
        else:
            positive = True
            hit = hit or fnmatch.fnmatchcase(name, pattern)
    return hit or not positive


def _matches(text: str, mac: Optional[str], name: str) -> bool:
    """True when the [Match] section of a .network file takes the NIC: its
    MACAddress= list (any case, `-` or `:`) and its Name= globs, both when
    given (other [Match] keys are not judged: they may take it)."""
    macs, names = _match_lists(text)
    if macs is None and names is None:
        return False
    if macs and (mac is None or mac not in macs):
        return False
    return names is None or _name_matches(names, name)


def _without(text: str, nics: List[Nic], target: Target) -> Optional[str]:
    """`text` edited so that it no longer takes `nics`, or None when they are
    all it takes (a MACAddress= of theirs only, or Name= of their exact names)."""
    macs, names = _match_lists(text)
    ours_macs = {n.mac for n in nics if n.mac}
    ours_names = {target.name(n) for n in nics}
    if macs and macs <= ours_macs:
        return None
    if (
        macs is None
        and names
        and all(not any(c in p for c in "*?[!") and p in ours_names for p in names)
    ):
        return None
    lines = text.split("\n")
    out: List[str] = []
    section, end = "", -1
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith("["):
            section = stripped
        key, equals, value = stripped.partition("=")
        if section == "[Match]" and equals and key.strip() == "MACAddress" and macs:
            kept = [w for w in value.split() if w.lower().replace("-", ":") not in ours_macs]
            if not kept:
                continue  # an empty MACAddress= would reset the list: drop the line
            raw = f"MACAddress={' '.join(kept)}"
        out.append(raw)
        if section == "[Match]" and stripped and not stripped.startswith(("#", ";")):
            end = len(out)
    if not macs:
        # Taken by its Name= globs: refuse osconf's names after them.
        out[end:end] = [f"Name=!{name}" for name in sorted(ours_names)]
    return "\n".join(out)
