"""RHEL-family network-scripts: ifcfg-NAME and route-NAME per NIC.

`HWADDR=` binds each file to the NIC's MAC (initscripts and NetworkManager's
ifcfg-rh plugin both honour it); the file name uses the kernel name when the
running system tells it, else the os.conf name.
"""

from typing import TYPE_CHECKING, ClassVar, Dict, List, Set

from osconf.actions import Action, RemoveFile, WriteFile
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
        # An ifcfg file defines one device: another definition of osconf's
        # NIC is removed whole, but its IPv6 settings (osconf writes IPv4
        # only) go on in osconf's file for that NIC, as do those of the file
        # osconf's replaces.
        actions: List[Action] = []
        ipv6: Dict[str, List[str]] = {}
        for nic in target.conf.nics:
            own = f"{cls.directory}/ifcfg-{target.name(nic)}"
            if view.is_file(own):
                ipv6.setdefault(own, []).extend(_ipv6_lines(view.read_text(own) or ""))
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
                    own = f"{cls.directory}/ifcfg-{target.name(nic)}"
                    ipv6.setdefault(own, []).extend(_ipv6_lines(text))
                    break
        for path, lines in sorted(ipv6.items()):
            content = _with_ipv6(rendered[path].content, lines) if path in rendered else ""
            if content and content != rendered[path].content:
                why = f"{cls.title}, keeping the IPv6 settings of the image's definition"
                actions.append(WriteFile(path, content, rendered[path].mode, why))
        return actions


def _ipv6_lines(text: str) -> List[str]:
    """The IPv6 settings of an ifcfg file (`IPV6*=`, `DHCPV6*=`), as written."""
    out = []
    for line in text.splitlines():
        key = line.strip().partition("=")[0].strip()
        if "=" in line and key.startswith(("IPV6", "DHCPV6")) and key.isidentifier():
            out.append(line.strip())
    return out


def _with_ipv6(content: str, lines: List[str]) -> str:
    """osconf's file with the carried IPv6 lines in place of `IPV6INIT=no`
    (the first definition of each key wins, as osconf read them)."""
    seen: Set[str] = set()
    kept = []
    for line in lines:
        key = line.partition("=")[0]
        if key not in seen:
            seen.add(key)
            kept.append(line)
    if "IPV6INIT" not in seen:
        kept.insert(0, "IPV6INIT=no")
    return content.replace("IPV6INIT=no\n", "\n".join(kept) + "\n")


def _values(text: str) -> Dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            out[key] = value.strip().strip("'\"")
    return out
