"""systemd-networkd: one .network per NIC, matched by MAC address."""

from typing import TYPE_CHECKING, ClassVar, Dict, List

from osconf.actions import Action, RemoveFile
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
        # A file that sorts before osconf's and matches the same MAC or name
        # would win; those are moved aside (with a backup).
        actions: List[Action] = []
        for path in listing(view, cls.directory):
            base = path.rsplit("/", 1)[1]
            if not base.endswith(".network") or path in rendered or base >= cls.prefix:
                continue
            text = view.read_text(path) or ""
            for nic in target.conf.nics:
                if nic.mac and _matches(text, nic.mac, target.name(nic)):
                    actions.append(RemoveFile(path, f"it configures {nic.name} too"))
                    break
        return actions


def _matches(text: str, mac: str, name: str) -> bool:
    """True when the [Match] section of a .network file matches the NIC: a
    MACAddress= list holding its MAC (any case), or a Name= list with a glob
    matching its name (as networkd reads them)."""
    import fnmatch

    section = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("["):
            section = line
            continue
        key, equals, value = line.partition("=")
        if section != "[Match]" or not equals:
            continue
        words = value.split()
        if key.strip() == "MACAddress" and mac in (w.lower().replace("-", ":") for w in words):
            return True
        if key.strip() == "Name" and any(fnmatch.fnmatchcase(name, w) for w in words):
            return True
    return False
