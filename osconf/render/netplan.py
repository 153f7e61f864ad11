"""netplan: one YAML file for all os.conf NICs, matched by MAC address."""

import re
from typing import TYPE_CHECKING, ClassVar, Dict, List, Set

from osconf.actions import Action, RemoveFile, Warn, WriteFile
from osconf.render.base import File, Stack, Target, header, listing

if TYPE_CHECKING:
    from osconf.view import View

_ID = re.compile(r"^(\s+)([A-Za-z0-9_.:@*-]+|\"[^\"]+\"):\s*$")


def _q(value: str) -> str:
    # JSON strings are valid YAML flow scalars: no quoting surprises.
    import json  # only where a netplan file is rendered

    return json.dumps(value)


class Netplan(Stack):
    name = "netplan"
    title = "netplan"
    paths = ("/usr/sbin/netplan", "/usr/bin/netplan", "/lib/netplan/generate")
    path: ClassVar[str] = "/etc/netplan/90-osconf.yaml"
    directory: ClassVar[str] = "/etc/netplan"
    cloud_init_off: ClassVar[str] = "/etc/cloud/cloud.cfg.d/99-osconf-network.cfg"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        lines = [header().rstrip(), "network:", "  version: 2", "  ethernets:"]
        dns_nic = target.dns_nic
        for nic in target.conf.nics:
            lines.append(f"    osconf-{nic.name}:")
            if nic.mac:
                lines += ["      match:", f"        macaddress: {_q(nic.mac)}"]
            else:
                lines += ["      match:", f"        name: {_q(target.name(nic))}"]
            lines += ["      dhcp4: false", f"      addresses: [{_q(nic.cidr)}]"]
            if nic.routes:
                lines.append("      routes:")
                for route in nic.routes:
                    lines += [
                        f"        - to: {_q(route.destination)}",
                        f"          via: {_q(route.gateway)}",
                    ]
            if nic is dns_nic and target.conf.dns:
                servers = ", ".join(_q(s) for s in target.conf.dns)
                lines += ["      nameservers:", f"        addresses: [{servers}]"]
        return {cls.path: File("\n".join(lines) + "\n", 0o600)}

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return [cls.path] if view.exists(cls.path) else []

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        actions: List[Action] = []
        for path in listing(view, cls.directory):
            if path in rendered or not path.endswith((".yaml", ".yml")):
                continue
            text = view.read_text(path) or ""
            ours = [
                n
                for n in target.conf.nics
                if (n.mac and n.mac in text.lower()) or _defines(text, target.name(n))
            ]
            if not ours:
                continue
            # Only a file that defines nothing but osconf's NICs is removed:
            # one that also configures another NIC stays (and is reported).
            ids = _interface_ids(text)
            names = {target.name(n) for n in ours}
            if len(ids) <= len(ours) or ids <= names:
                actions.append(RemoveFile(path, f"it configures {ours[0].name} too"))
            else:
                message = f"{path} also configures {ours[0].name} (and other NICs): left as it is"
                actions.append(Warn(message))
        if view.exists("/etc/cloud/cloud.cfg") and actions:
            actions.append(
                WriteFile(
                    cls.cloud_init_off,
                    header() + "# osconf owns this image's network.\nnetwork: {config: disabled}\n",
                    0o644,
                    "stop cloud-init from writing a netplan file again",
                )
            )
        return actions


def _interface_ids(text: str) -> Set[str]:
    """Interface IDs under `ethernets:` (a small indentation scan, no YAML library)."""
    ids: Set[str] = set()
    inside, depth = False, -1
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped:
            continue
        indent = len(stripped) - len(stripped.lstrip())
        if stripped.strip() == "ethernets:":
            inside, depth = True, -1
            continue
        if inside:
            if depth < 0:
                depth = indent
            if indent < depth:
                inside = False
                continue
            match = _ID.match(stripped)
            if indent == depth and match:
                ids.add(match.group(2).strip('"'))
    return ids


def _defines(text: str, name: str) -> bool:
    return name in _interface_ids(text) or f"name: {name}" in text or f'name: "{name}"' in text
