"""RHEL-family network-scripts: ifcfg-NAME and route-NAME per NIC.

`HWADDR=` binds each file to the NIC's MAC (initscripts and NetworkManager's
ifcfg-rh plugin both honour it); the file name uses the kernel name when the
running system tells it, else the os.conf name.
"""

from typing import TYPE_CHECKING, ClassVar, Dict, List

from osconf.actions import Action, RemoveFile
from osconf.render.base import File, Stack, Target, generated, header, listing

if TYPE_CHECKING:
    from osconf.view import View

# Backup names that initscripts (is_ignored_file) and NetworkManager's
# ifcfg-rh plugin skip: not definitions of anything.
IGNORED = ("~", ".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", ".augnew", ".augtmp")


class Ifcfg(Stack):
    name = "ifcfg"
    title = "RHEL network-scripts (ifcfg)"
    paths = ("/etc/sysconfig/network-scripts",)
    os_ids = (
        "rhel",
        "centos",
        "fedora",
        "alinux",
        "anolis",
        "rocky",
        "almalinux",
        "openEuler",
        "ol",
        "amzn",
    )
    needs_names = True
    directory: ClassVar[str] = "/etc/sysconfig/network-scripts"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        files = {}
        default = target.conf.default_route
        dns_nic = target.dns_nic
        for nic in target.conf.nics:
            name = target.name(nic)
            lines = [
                header().rstrip(),
                f"DEVICE={name}",
                "TYPE=Ethernet",
                "ONBOOT=yes",
                "BOOTPROTO=none",
                f"IPADDR={nic.address}",
                f"PREFIX={nic.prefixlen}",
                f"NETMASK={nic.netmask}",
            ]
            if nic.mac:
                lines.append(f"HWADDR={nic.mac}")
            if default is not None and default[0] is nic:
                lines += [f"GATEWAY={default[1].gateway}", "DEFROUTE=yes"]
            else:
                lines.append("DEFROUTE=no")
            if nic is dns_nic:
                lines += [f"DNS{i}={server}" for i, server in enumerate(target.conf.dns, 1)]
                lines.append("PEERDNS=no")
            lines.append("IPV6INIT=no")
            files[f"{cls.directory}/ifcfg-{name}"] = File("\n".join(lines) + "\n")
            if nic.static_routes:
                routes = [f"{r.destination} via {r.gateway} dev {name}" for r in nic.static_routes]
                files[f"{cls.directory}/route-{name}"] = File(header() + "\n".join(routes) + "\n")
        return files

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return [
            p
            for p in listing(view, cls.directory)
            if p.rsplit("/", 1)[1].startswith(("ifcfg-", "route-")) and generated(view, p)
        ]

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        actions: List[Action] = []
        for path in listing(view, cls.directory):
            base = path.rsplit("/", 1)[1]
            if path in rendered or not base.startswith("ifcfg-") or base == "ifcfg-lo":
                continue
            if base.endswith(IGNORED):
                continue  # initscripts and NetworkManager never read it
            text = view.read_text(path) or ""
            values = _values(text)
            for nic in target.conf.nics:
                hwaddr = values.get("HWADDR", "").lower().replace("-", ":")
                same_mac = nic.mac is not None and hwaddr == nic.mac
                same_name = values.get("DEVICE", base[len("ifcfg-") :]) == target.name(nic)
                if same_mac or same_name:
                    actions.append(RemoveFile(path, f"another definition of {nic.name}"))
                    break
        return actions


def _values(text: str) -> Dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            out[key] = value.strip().strip("'\"")
    return out
