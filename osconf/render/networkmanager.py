"""NetworkManager keyfiles: one profile per NIC, bound by MAC address."""

from typing import TYPE_CHECKING, ClassVar, Dict, List, Set

from osconf.actions import Action, RemoveFile
from osconf.render.base import (
    File,
    Stack,
    Target,
    connection_uuid,
    header,
    listing,
    with_prefix,
)

if TYPE_CHECKING:
    from osconf.view import View


class NetworkManager(Stack):
    name = "networkmanager"
    title = "NetworkManager (keyfile)"
    enabled_units = ("NetworkManager.service",)
    directory: ClassVar[str] = "/etc/NetworkManager/system-connections"
    prefix: ClassVar[str] = "osconf-"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        files = {}
        dns_nic = target.dns_nic
        default = target.conf.default_route
        for nic in target.conf.nics:
            lines = [
                header().rstrip(),
                "[connection]",
                f"id=osconf-{nic.name}",
                f"uuid={connection_uuid(nic)}",
                "type=ethernet",
                "autoconnect=true",
                "autoconnect-priority=100",
            ]
            if nic.mac:
                lines += ["", "[ethernet]", f"mac-address={nic.mac.upper()}"]
            else:
                lines.insert(5, f"interface-name={target.name(nic)}")
            address = nic.cidr
            if default is not None and default[0] is nic:
                address += f",{default[1].gateway}"
            lines += ["", "[ipv4]", "method=manual", f"address1={address}"]
            for number, route in enumerate(nic.static_routes, start=1):
                lines.append(f"route{number}={route.destination},{route.gateway}")
            # [ipv4] dns= takes IPv4 servers only (libnm drops the others);
            # IPv6 servers reach the resolver through resolv.conf.
            servers = [s for s in target.conf.dns if ":" not in s]
            if nic is dns_nic and servers:
                lines += ["dns=" + ";".join(servers) + ";", "ignore-auto-dns=true"]
            if default is None or default[0] is not nic:
                lines.append("never-default=true")
            lines += ["", "[ipv6]", "method=ignore"]
            path = f"{cls.directory}/{cls.prefix}{nic.name}.nmconnection"
            files[path] = File("\n".join(lines) + "\n", 0o600)
        return files

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return with_prefix(view, cls.directory, cls.prefix, ".nmconnection")

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        actions: List[Action] = []
        for path in listing(view, cls.directory):
            if path in rendered or not view.is_file(path):
                continue
            values = _values(view.read_text(path) or "")
            for nic in target.conf.nics:
                # Exact values: interface-name=eth10 is not a profile for eth1.
                bound = (nic.mac and nic.mac in values.get("mac-address", ())) or (
                    target.name(nic) in values.get("interface-name", ())
                )
                if bound:
                    actions.append(RemoveFile(path, f"another profile for {nic.name}"))
                    break
        return actions


def _values(text: str) -> Dict[str, Set[str]]:
    """Every value of each key in a keyfile (any section), MACs in lower case."""
    out: Dict[str, Set[str]] = {}
    for line in text.split("\n"):
        key, equals, value = line.strip().partition("=")
        if equals:
            key, value = key.strip(), value.strip()
            out.setdefault(key, set()).add(
                value.lower().replace("-", ":") if key == "mac-address" else value
            )
    return out
