"""The kernel's network state over netlink: the only module that imports pyroute2.

pyroute2 costs ~130 ms to import, so this module is imported only on the live
path (from inside functions: `System.netlink()`), never at osconf's start.
It offers plain values (`Link`, `Address`, `KernelRoute`) and a few verbs
(`set_up`, `replace_address`, `replace_route`, ...) and uses only the part of
pyroute2's `IPRoute` API that every release from 0.5.3 (EPEL 8) to 0.9 has:
`link("set")`, `route("replace")`, `addr`/`route` with an explicit (message
type, flags) pair, and the `get_links`, `get_addr`, `get_routes` dumps.
Netlink failures come out as `OSError` with the kernel's errno, so callers
need no pyroute2 types.
"""

import logging
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

log = logging.getLogger(__name__)
# pyroute2 logs every netlink message at debug level: too much for `--debug`.
logging.getLogger("pyroute2").setLevel(logging.INFO)

MAIN_TABLE = 254
RTPROT_STATIC = 4
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE = 0
RTNH_F_ONLINK = 4
IFF_UP = 1
IFA_F_PERMANENT = 0x80
# Address changes and deletions are sent as (message type, flags), which
# every pyroute2 from 0.5.3 on passes through: pyroute2 before 0.6 sends
# "del" with NLM_F_CREATE|NLM_F_EXCL, which Linux 6.x rejects (EOPNOTSUPP),
# and 0.5.3's `addr()` has no "replace" command.
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_DELROUTE = 25
NLM_F_REQUEST_ACK = 0x1 | 0x4
NLM_F_REPLACE_CREATE = NLM_F_REQUEST_ACK | 0x100 | 0x400
POLL_INTERVAL = 0.05
UDEV_DATA = "/run/udev/data"
UDEV_CONTROL = "/run/udev/control"


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    mac: Optional[str]  # current address, "00:8c:fa:5e:14:23"
    permanent_mac: Optional[str]  # IFLA_PERM_ADDRESS when the driver has one
    up: bool
    kind: Optional[str]  # "veth", "vlan", "bond", ...; None for plain hardware
    master: Optional[int]


@dataclass(frozen=True)
class Address:
    index: int
    address: str
    prefixlen: int
    permanent: bool  # static; False for a lease with a lifetime


@dataclass(frozen=True)
class KernelRoute:
    """An IPv4 unicast route of the main table."""

    destination: str  # CIDR "10.0.0.0/8", "0.0.0.0/0"
    gateway: Optional[str]
    oif: Optional[int]
    metric: int


class Netlink:
    """One rtnetlink socket in the current network namespace."""

    def __init__(self, udev_data: str = UDEV_DATA, udev_control: str = UDEV_CONTROL) -> None:
        self._ipr: Any = IPRoute()
        self._udev_data = udev_data
        self._udev_control = udev_control
        self._deadline: Optional[float] = None
        self.changes = 0  # netlink requests that changed the kernel's state

    def close(self) -> None:
        self._ipr.close()

    # -- reading ------------------------------------------------------------------

    def links(self) -> List[Link]:
        with _errors("list links"):
            return [_link(msg) for msg in self._ipr.get_links()]

    def addresses(self, index: Optional[int] = None) -> List[Address]:
        """IPv4 addresses (of one link when `index` is given)."""
        with _errors("list addresses"):
            found = [_address(msg) for msg in self._ipr.get_addr(family=socket.AF_INET)]
        return [a for a in found if index is None or a.index == index]

    def routes(self) -> List[KernelRoute]:
        """IPv4 unicast routes of the main table."""
        with _errors("list routes"):
            messages = list(self._ipr.get_routes(family=socket.AF_INET))
        return [
            _route(msg)
            for msg in messages
            if msg["type"] == RTN_UNICAST and _table(msg) == MAIN_TABLE
        ]

    # -- finding a NIC ------------------------------------------------------------

    def find_link(self, mac: Optional[str], name: Optional[str], timeout: float) -> Optional[Link]:
        """The link with `mac` (or named `name` when there is no MAC), waiting for it.

        All waits of one session share one deadline (the first wait starts it),
        so several missing NICs cost `timeout` once, not once each. A NIC
        udev has not processed yet (still to be renamed) is waited for too,
        within the same deadline: bringing it up would make the rename fail.
        """
        if self._deadline is None:
            self._deadline = time.monotonic() + timeout
        while True:
            link = pick_link(self.links(), mac, name)
            if link is not None and (self._udev_done(link) or time.monotonic() >= self._deadline):
                return link
            if time.monotonic() >= self._deadline:
                return None
            time.sleep(POLL_INTERVAL)

    def _udev_done(self, link: Link) -> bool:
        if not os.path.exists(self._udev_control):
            return True  # no udev running: nobody will rename the NIC
        return os.path.exists(f"{self._udev_data}/n{link.index}")

    # -- changing -----------------------------------------------------------------

    def set_up(self, link: Link) -> None:
        with _errors(f"bring {link.name} up"):
            self._ipr.link("set", index=link.index, state="up")
        self.changes += 1

    def replace_address(
        self, link: Link, address: str, prefixlen: int, broadcast: Optional[str]
    ) -> None:
        spec: Dict[str, Any] = {"index": link.index, "address": address, "prefixlen": prefixlen}
        if broadcast is not None:
            spec["broadcast"] = broadcast
        with _errors(f"set {address}/{prefixlen} on {link.name}"):
            self._ipr.addr((RTM_NEWADDR, NLM_F_REPLACE_CREATE), **spec)
        self.changes += 1

    def delete_address(self, link: Link, address: str, prefixlen: int) -> None:
        with _errors(f"remove {address}/{prefixlen} from {link.name}"):
            self._ipr.addr(
                (RTM_DELADDR, NLM_F_REQUEST_ACK),
                index=link.index,
                address=address,
                prefixlen=prefixlen,
            )
        self.changes += 1

    def replace_route(self, link: Link, destination: str, gateway: str, onlink: bool) -> None:
        """Adds or replaces (atomically) the metric-0 main-table route to `destination`."""
        with _errors(f"route {destination} via {gateway} dev {link.name}"):
            self._ipr.route(
                "replace", **_route_spec(destination, gateway, link.index), proto=RTPROT_STATIC,
                scope=RT_SCOPE_UNIVERSE, type=RTN_UNICAST, flags=RTNH_F_ONLINK if onlink else 0,
            )  # fmt: skip
        self.changes += 1

    def delete_route(self, link: Link, destination: str, gateway: str) -> None:
        with _errors(f"remove route {destination} via {gateway} dev {link.name}"):
            self._ipr.route(
                (RTM_DELROUTE, NLM_F_REQUEST_ACK), **_route_spec(destination, gateway, link.index)
            )
        self.changes += 1

    def promote_secondaries(self, link: Link) -> None:
        """Makes the kernel keep same-subnet addresses when their primary goes.

        Without it, deleting an old primary address also deletes every
        secondary of its subnet, among them the new address and any the
        admin added. (systemd sets this for all links by default.)
        """
        path = f"/proc/sys/net/ipv4/conf/{link.name}/promote_secondaries"
        with open(path, "r+", encoding="ascii") as handle:
            if handle.read().strip() != "1":
                handle.seek(0)
                handle.write("1\n")


def pick_link(links: List[Link], mac: Optional[str], name: Optional[str]) -> Optional[Link]:
    """The NIC for an os.conf entry: by permanent MAC, else current MAC, else name.

    A MAC may be shared (a VLAN or bond on top of the NIC): the link without
    a master and without a software kind wins, then the lowest index.
    """
    if mac is None:
        return next((link for link in links if link.name == name), None)
    mac = mac.lower()
    candidates = [link for link in links if link.permanent_mac == mac] or [
        link for link in links if link.mac == mac
    ]
    if not candidates:
        return None
    candidates.sort(key=lambda link: (link.master is not None, link.kind is not None, link.index))
    return candidates[0]


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except NetlinkError as err:
        raise OSError(err.code, f"{what}: {os.strerror(err.code)}") from None


def _route_spec(destination: str, gateway: str, oif: int) -> Dict[str, Any]:
    network, prefixlen = destination.split("/")
    spec: Dict[str, Any] = {"dst_len": int(prefixlen), "gateway": gateway, "oif": oif}
    spec["table"] = MAIN_TABLE
    if int(prefixlen):
        spec["dst"] = network
    return spec


def _mac(value: Any) -> Optional[str]:
    if not isinstance(value, str) or value.strip(":0") == "":
        return None
    return value.lower()


def _link(msg: Any) -> Link:
    kind = None
    info = msg.get_attr("IFLA_LINKINFO")
    if info is not None:
        kind = info.get_attr("IFLA_INFO_KIND")
    return Link(
        index=int(msg["index"]),
        name=str(msg.get_attr("IFLA_IFNAME")),
        mac=_mac(msg.get_attr("IFLA_ADDRESS")),
        permanent_mac=_mac(msg.get_attr("IFLA_PERM_ADDRESS")),
        up=bool(msg["flags"] & IFF_UP),
        kind=kind,
        master=msg.get_attr("IFLA_MASTER"),
    )


def _address(msg: Any) -> Address:
    local = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
    flags = msg.get_attr("IFA_FLAGS")
    if flags is None:
        flags = msg["flags"]
    return Address(
        index=int(msg["index"]),
        address=str(local),
        prefixlen=int(msg["prefixlen"]),
        permanent=bool(flags & IFA_F_PERMANENT),
    )


def _table(msg: Any) -> int:
    table = msg.get_attr("RTA_TABLE")
    return int(table if table is not None else msg["table"])


def _route(msg: Any) -> KernelRoute:
    dst = msg.get_attr("RTA_DST") or "0.0.0.0"
    return KernelRoute(
        destination=f"{dst}/{msg['dst_len']}",
        gateway=msg.get_attr("RTA_GATEWAY"),
        oif=msg.get_attr("RTA_OIF"),
        metric=int(msg.get_attr("RTA_PRIORITY") or 0),
    )
