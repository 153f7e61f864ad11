"""Telling the running network stack about the configuration osconf persisted.

The kernel already has os.conf's state (`osconf.live`); this makes the
manager agree, without taking a link down, so that it neither fights the
new addresses nor brings back old ones at its next event. Decisions, per
stack (`osconf.render.detect().name`):

* networkd: `networkctl reload`. Since systemd 244 it reconfigures exactly
  the links whose .network changed, in place; it finds the addresses and
  routes already set. (`reconfigure` would redo every link: not needed.)
* netplan: `netplan generate` (always on the running system, also at boot
  before the backend starts: see `GenerateNetplan`), then the reload of
  whichever backend runs (networkd or NetworkManager). Never `netplan
  apply`: it can restart the backend and re-plug links.
* networkmanager, and ifcfg/suse where NetworkManager reads those files:
  `nmcli connection reload`, then `nmcli device reapply DEV` for each os.conf
  NIC, but only when the profile active on it is static and carries
  os.conf's address: reapplying another profile (DHCP, an old address) would
  take the new address away. `connection up` is never used (it deactivates
  first).
* ifupdown, ifcfg and suse without NetworkManager: nothing. ifupdown and the
  network-scripts have no daemon and read their files at the next `ifup`;
  restarting them (or `wicked ifreload`) would bounce links.

A stack counts as running only when its daemon runs in osconf's own network
namespace. Failing to reload is a warning, not a failure: the files and the
kernel are right, and the daemon reads the files when it next starts.
"""

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Tuple

from osconf.actions import Action
from osconf.model import OsConf

if TYPE_CHECKING:
    from osconf.system import System
    from osconf.view import View

log = logging.getLogger(__name__)

NETWORKD = "systemd-network"  # the kernel's 15-character comm of systemd-networkd
NETWORK_MANAGER = "NetworkManager"


def reload_actions(
    stack_name: str, view: "View", conf: Optional[OsConf] = None
) -> Tuple[Action, ...]:
    """What asks the running `stack_name` to take its new files (see module doc)."""
    nics = tuple((nic.name, nic.mac, nic.cidr) for nic in conf.nics) if conf else ()
    if stack_name == "networkd":
        return (ReloadNetworkd(),)
    if stack_name == "netplan":
        return (GenerateNetplan(), ReloadNetworkd(), ReloadNetworkManager(nics))
    if stack_name in ("networkmanager", "ifcfg", "suse"):
        return (ReloadNetworkManager(nics),)
    if stack_name == "ifupdown":
        return ()
    raise ValueError(f"unknown network stack {stack_name!r}")


def daemon_running(comm: str, proc: str = "/proc") -> bool:
    """Whether a process named `comm` runs in this process's network namespace."""
    try:
        own = os.readlink(f"{proc}/self/ns/net")
    except OSError:
        return False
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            with open(f"{proc}/{pid}/comm", encoding="utf-8", errors="replace") as handle:
                if handle.read().strip() != comm:
                    continue
            if os.readlink(f"{proc}/{pid}/ns/net") == own:
                return True
        except OSError:
            continue  # exited meanwhile, or not ours to look at
    return False


def _try(system: "System", argv: List[str]) -> bool:
    try:
        result = system.run(argv, check=False, timeout=30)
    except OSError as err:
        log.warning("could not run %s: %s", argv[0], err)
        return False
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        log.warning("%s failed (exit %d): %s", " ".join(argv), result.returncode, detail)
        return False
    return True


@dataclass(frozen=True)
class ReloadNetworkd:
    def describe(self) -> str:
        return "if systemd-networkd runs: networkctl reload"

    def execute(self, system: "System") -> bool:
        if not daemon_running(NETWORKD):
            return False
        return _try(system, ["networkctl", "reload"])


@dataclass(frozen=True)
class GenerateNetplan:
    """`netplan generate` on the running system, whether or not the backend runs.

    netplan's own generator runs only when systemd (re)loads its units, which
    at boot is before osconf: without this the backend would start with the
    previous generation and never hold osconf's configuration. Before the
    backend starts (osconf's boot run) it then reads what this generated.
    """

    def describe(self) -> str:
        return "netplan generate (the backend's files in /run)"

    def execute(self, system: "System") -> bool:
        if not system.is_live:
            return False  # the image's own generator runs at its boot
        return _try(system, ["netplan", "generate"])


@dataclass(frozen=True)
class ReloadNetworkManager:
    """`nmcli connection reload`, then a safe `device reapply` per NIC."""

    nics: Tuple[Tuple[str, Optional[str], str], ...]  # (os.conf name, MAC, address/prefix)

    def describe(self) -> str:
        return "if NetworkManager runs: nmcli connection reload, device reapply"

    def execute(self, system: "System") -> bool:
        if not daemon_running(NETWORK_MANAGER):
            return False
        if not _try(system, ["nmcli", "connection", "reload"]):
            return False
        from osconf.netlink import pick_link

        links = system.netlink().links() if self.nics else []
        for name, mac, cidr in self.nics:
            link = pick_link(links, mac, name)
            if link is not None and self._carries(system, link.name, cidr):
                _try(system, ["nmcli", "device", "reapply", link.name])
        return True

    @staticmethod
    def _carries(system: "System", device: str, cidr: str) -> bool:
        active = system.run(
            ["nmcli", "-g", "GENERAL.CON-UUID", "device", "show", device], check=False
        )
        uuid = active.stdout.decode().strip()
        if active.returncode != 0 or not uuid:
            log.info("not reapplying %s: no active NetworkManager profile", device)
            return False
        profile = system.run(
            ["nmcli", "-g", "ipv4.method,ipv4.addresses", "connection", "show", uuid], check=False
        )
        lines = profile.stdout.decode().splitlines()
        if profile.returncode == 0 and len(lines) >= 2 and lines[0] == "manual":
            if cidr in (a.strip() for a in lines[1].split(",")):
                return True
        log.info("not reapplying %s: its active profile does not carry %s", device, cidr)
        return False
