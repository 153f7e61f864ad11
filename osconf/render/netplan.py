"""netplan: one YAML file for all os.conf NICs, matched by MAC address."""

from typing import TYPE_CHECKING, ClassVar, Dict, List

from osconf.actions import Action, RemoveFile, WriteFile
from osconf.render.base import File, Stack, Target, generated, header, listing

if TYPE_CHECKING:
    from osconf.view import View


def _q(value: str) -> str:
    # JSON strings are valid YAML flow scalars: no quoting surprises.
    import json  # only where a netplan file is rendered

    return json.dumps(value)


class Netplan(Stack):
    name = "netplan"
    title = "netplan"
    paths = ("/usr/sbin/netplan", "/usr/bin/netplan", "/lib/netplan/generate")
    # netplan reads its files in lexical order and a VLAN's `link:` must name
    # an interface defined in the same or an earlier file: osconf's sorts
    # first, so that a VLAN of the image's can ride on osconf's definition
    # of its NIC (see netplan_conflicts). The ID, not the file, decides
    # which networkd file wins.
    path: ClassVar[str] = "/etc/netplan/0-osconf.yaml"
    # Its earlier name, where images that ran an older osconf still have it.
    legacy: ClassVar[str] = "/etc/netplan/90-osconf.yaml"
    directory: ClassVar[str] = "/etc/netplan"
    cloud_init_off: ClassVar[str] = "/etc/cloud/cloud.cfg.d/99-osconf-network.cfg"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        # The netplan reader (and dataclasses behind it) only where netplan is the stack.
        from osconf.render.netplan_conflicts import osconf_id

        lines = [header().rstrip(), "network:", "  version: 2", "  ethernets:"]
        dns_nic = target.dns_nic
        for nic in target.conf.nics:
            lines.append(f"    {osconf_id(nic)}:")
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
        found = [cls.path] if view.exists(cls.path) else []
        return found + ([cls.legacy] if generated(view, cls.legacy) else [])

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        files = [
            path
            for path in listing(view, cls.directory)
            if path not in rendered and path.endswith((".yaml", ".yml")) and view.is_file(path)
        ]
        from osconf.render.netplan_conflicts import resolve

        texts = {path: view.read_text(path) or "" for path in files}
        actions = resolve(target, texts, cls.path.rsplit("/", 1)[1])
        if view.exists("/etc/cloud/cloud.cfg") and any(
            isinstance(a, (RemoveFile, WriteFile)) for a in actions
        ):
            actions.append(
                WriteFile(
                    cls.cloud_init_off,
                    header() + "# osconf owns this image's network.\nnetwork: {config: disabled}\n",
                    0o644,
                    "stop cloud-init from writing a netplan file again",
                )
            )
        return actions
