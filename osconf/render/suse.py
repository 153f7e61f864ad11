"""SUSE wicked: ifcfg-NAME and ifroute-NAME in /etc/sysconfig/network; DNS via netconfig."""

from typing import TYPE_CHECKING, ClassVar, Dict, List

from osconf import etcfiles
from osconf.actions import Action, WriteFile
from osconf.render.base import File, Stack, Target, generated, header, listing

if TYPE_CHECKING:
    from osconf.view import View


class Suse(Stack):
    name = "suse"
    title = "SUSE wicked (/etc/sysconfig/network)"
    enabled_units = ("wicked.service",)
    paths = ("/usr/sbin/wicked",)
    os_ids = ("suse", "opensuse", "sles", "sled", "opensuse-leap", "opensuse-tumbleweed")
    needs_names = True
    directory: ClassVar[str] = "/etc/sysconfig/network"
    config: ClassVar[str] = "/etc/sysconfig/network/config"

    @classmethod
    def render(cls, target: Target) -> Dict[str, File]:
        files = {}
        for nic in target.conf.nics:
            name = target.name(nic)
            lines = [
                header().rstrip(),
                "STARTMODE='auto'",
                "BOOTPROTO='static'",
                f"IPADDR='{nic.cidr}'",
            ]
            files[f"{cls.directory}/ifcfg-{name}"] = File("\n".join(lines) + "\n")
            if nic.routes:
                routes = [
                    f"{'default' if r.is_default else r.destination} {r.gateway} - {name}"
                    for r in nic.routes
                ]
                files[f"{cls.directory}/ifroute-{name}"] = File(header() + "\n".join(routes) + "\n")
        return files

    @classmethod
    def owned(cls, view: "View") -> List[str]:
        return [
            p
            for p in listing(view, cls.directory)
            if p.rsplit("/", 1)[1].startswith(("ifcfg-", "ifroute-")) and generated(view, p)
        ]

    @classmethod
    def conflicts(cls, view: "View", target: Target, rendered: Dict[str, File]) -> List[Action]:
        # The name servers go through netconfig whatever /etc/resolv.conf is.
        if not target.conf.dns:
            return []
        config = etcfiles.set_shell_variable(
            view.read_text(cls.config), "NETCONFIG_DNS_STATIC_SERVERS", " ".join(target.conf.dns)
        )
        return [WriteFile(cls.config, config, None, "DNS for SUSE netconfig")]
