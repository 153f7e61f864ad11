"""Where the name servers go: resolv.conf itself, or the resolver behind it.

When /etc/resolv.conf is a link to a file a resolver manages, writing the
link's target would be overwritten (and writing over the link would break
the resolver), so the servers go where that resolver takes them from.
"""

from typing import TYPE_CHECKING, Optional, Tuple

from osconf import etcfiles
from osconf.actions import Action, RemoveFile, WriteFile

if TYPE_CHECKING:
    from osconf.view import View

RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_DROPIN = "/etc/systemd/resolved.conf.d/osconf.conf"
RESOLVCONF_HEAD = "/etc/resolvconf/resolv.conf.d/head"
NETCONFIG = "/etc/sysconfig/network/config"

# Link targets (as resolved inside the root) and the resolver they belong to.
_MANAGED = {
    "/run/systemd/resolve/stub-resolv.conf": "systemd-resolved",
    "/run/systemd/resolve/resolv.conf": "systemd-resolved",
    "/usr/lib/systemd/resolv.conf": "systemd-resolved",
    "/lib/systemd/resolv.conf": "systemd-resolved",
    "/run/resolvconf/resolv.conf": "resolvconf",
    "/etc/resolvconf/run/resolv.conf": "resolvconf",
    "/run/netconfig/resolv.conf": "netconfig",
    "/var/run/netconfig/resolv.conf": "netconfig",
    "/run/NetworkManager/resolv.conf": "NetworkManager",
    "/var/run/NetworkManager/resolv.conf": "NetworkManager",
    "/run/NetworkManager/no-stub-resolv.conf": "NetworkManager",
}


def resolver_of(view: "View") -> Optional[str]:
    """Names the resolver that owns /etc/resolv.conf, or None for a plain file."""
    if not view.is_symlink(RESOLV_CONF):
        return None
    target = view.resolve(RESOLV_CONF)
    if target.startswith("/var/run/"):
        target = target[len("/var") :]
    return _MANAGED.get(target, _MANAGED.get("/var" + target))


def dns_actions(view: "View", servers: Tuple[str, ...]) -> Tuple[Action, ...]:
    """The writes that make `servers` the target's name servers."""
    if not servers:
        return ()
    owner = resolver_of(view)
    listed = " ".join(servers)
    if owner == "systemd-resolved":
        content = f"{etcfiles.MARK}: name servers from os.conf\n[Resolve]\nDNS={listed}\n"
        return (WriteFile(RESOLVED_DROPIN, content, 0o644, "DNS for systemd-resolved"),)
    if owner == "resolvconf":
        head = etcfiles.resolv_conf(view.read_text(RESOLVCONF_HEAD), servers)
        return (WriteFile(RESOLVCONF_HEAD, head, None, "DNS for resolvconf"),)
    if owner == "netconfig":
        config = etcfiles.set_shell_variable(
            view.read_text(NETCONFIG), "NETCONFIG_DNS_STATIC_SERVERS", listed
        )
        return (WriteFile(NETCONFIG, config, None, "DNS for SUSE netconfig"),)
    if owner == "NetworkManager":
        # NetworkManager writes its resolv.conf from the connection profiles:
        # the servers reach it through the profile the network stack writes.
        return ()
    if view.is_symlink(RESOLV_CONF) and not view.exists(RESOLV_CONF):
        # A dangling link to something unknown: a plain file is the only
        # thing the C library will read.
        return (
            RemoveFile(RESOLV_CONF, "dangling link to " + view.readlink(RESOLV_CONF)),
            WriteFile(RESOLV_CONF, etcfiles.resolv_conf(None, servers), 0o644, "name servers"),
        )
    content = etcfiles.resolv_conf(view.read_text(RESOLV_CONF), servers)
    return (WriteFile(RESOLV_CONF, content, None, "name servers"),)
