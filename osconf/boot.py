"""Boot, before the network stack: the kernel's network is left to the stack.

At boot osconf runs before the image's network stack (osconf.service is
ordered before network-pre.target; the SysV script before `networking`).
Setting the addresses over netlink then would race the stack: ifupdown's
`ifup` fails on an address that is already there ("RTNETLINK answers: File
exists") and the boot ends degraded. So when the stack has not started yet,
osconf does not touch the kernel's network: it waits (up to --nic-timeout,
one deadline for all NICs) until each os.conf NIC has appeared and udev has
named it, so that stacks that bind by name get the kernel's name and a NIC
that never appears is still a failure (exit 5, os.conf kept); the stack
then brings the NICs up from osconf's files. The live step (`osconf.live`)
runs only when the stack is already up: a manual run, the watcher, a stack
started before osconf.

"Up" is read from each stack's own state: its daemon running in osconf's
network namespace (networkd, NetworkManager, netplan's backends, wicked), or
ifupdown's state file, which `ifup` creates.

Reads /sys and /proc only: no pyroute2 on the boot path.
"""

import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from osconf.reload import NETWORK_MANAGER, NETWORKD, daemon_running

if TYPE_CHECKING:
    from osconf.model import OsConf
    from osconf.system import System
    from osconf.view import View

log = logging.getLogger(__name__)

SYS_NET = "/sys/class/net"
UDEV_DATA = "/run/udev/data"
UDEV_CONTROL = "/run/udev/control"
POLL_INTERVAL = 0.05
IFUPDOWN_STATE = "/run/network/ifstate"
NETWORK_SCRIPTS_STATE = "/var/lock/subsys/network"
WICKED = "wickedd"


def stack_up(stack: str, view: "View", proc: str = "/proc") -> bool:
    """Whether the network stack `stack` has already started (see module doc)."""
    networkd = daemon_running(NETWORKD, proc)
    manager = daemon_running(NETWORK_MANAGER, proc)
    if stack == "networkd":
        return networkd
    if stack == "networkmanager":
        return manager
    if stack == "netplan":
        return networkd or manager
    if stack == "ifupdown":
        return view.is_file(IFUPDOWN_STATE)
    if stack == "ifcfg":
        return manager or view.exists(NETWORK_SCRIPTS_STATE)
    if stack == "suse":
        return daemon_running(WICKED, proc)
    raise ValueError(f"unknown network stack {stack!r}")


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _present(sys_net: str, udev_data: str, udev_control: str) -> Dict[str, str]:
    """MAC (and, for NICs named without one, the name) -> kernel name, for the
    NICs udev is done with (renamed, if it renames them)."""
    udev_running = os.path.exists(udev_control)
    found: Dict[str, str] = {}
    try:
        entries = sorted(os.listdir(sys_net))
    except OSError:
        return found
    for entry in entries:
        index = _read(f"{sys_net}/{entry}/ifindex")
        if index is None or (udev_running and not os.path.exists(f"{udev_data}/n{index}")):
            continue
        mac = _read(f"{sys_net}/{entry}/address")
        if mac:
            found.setdefault(mac.lower(), entry)
        found.setdefault("name:" + entry, entry)
    return found


def wait_for_nics(
    conf: "OsConf",
    timeout: float,
    sys_net: str = SYS_NET,
    udev_data: str = UDEV_DATA,
    udev_control: str = UDEV_CONTROL,
) -> Dict[str, str]:
    """os.conf name -> kernel name of each NIC that appeared within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        present = _present(sys_net, udev_data, udev_control)
        names = {}
        for nic in conf.nics:
            kernel = present.get(nic.mac) if nic.mac else present.get("name:" + nic.name)
            if kernel is not None:
                names[nic.name] = kernel
        if len(names) == len(conf.nics) or time.monotonic() >= deadline:
            return names
        time.sleep(POLL_INTERVAL)


def boot_actions(
    conf: "OsConf", stack: str, names: Dict[str, str], timeout: float
) -> Tuple["LeaveToStack", ...]:
    return tuple(
        LeaveToStack(nic.name, nic.mac, names.get(nic.name), stack, timeout) for nic in conf.nics
    )


@dataclass(frozen=True)
class LeaveToStack:
    """One NIC at boot: present (as `kernel_name`), brought up by the stack.

    A NIC that did not appear within the wait fails here, so that os.conf
    is kept for a later run; the other NICs are unaffected.
    """

    name: str
    mac: Optional[str]
    kernel_name: Optional[str]
    stack: str
    timeout: float

    def describe(self) -> str:
        nic = f"{self.name} ({self.mac})" if self.mac else f"{self.name} (by name)"
        return f"boot: {nic} is brought up by {self.stack} from osconf's files"

    def execute(self, system: "System") -> bool:
        if self.kernel_name is None:
            what = f"no NIC with MAC {self.mac}" if self.mac else f"no NIC named {self.name}"
            raise LookupError(f"{self.name}: {what} appeared within {self.timeout:g} s")
        log.info(
            "boot: %s is %s; %s brings it up from osconf's files (it has not started yet)",
            self.name,
            self.kernel_name,
            self.stack,
        )
        return False
